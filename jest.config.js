/** Type checking is `npm run typecheck`'s job; @swc/jest only strips types, so a cold run stays under a second. */
module.exports = {
  testEnvironment: "node",
  roots: ["<rootDir>/__tests__"],
  testMatch: ["**/*.test.ts"],
  transform: {
    "^.+\\.(t|j)sx?$": ["@swc/jest", { jsc: { target: "es2023" }, module: { type: "commonjs" } }],
  },
  transformIgnorePatterns: ["/node_modules/"],
  setupFilesAfterEnv: ["<rootDir>/__tests__/setup.ts"],
  testTimeout: 60000,
  // Two cores: the operator tests (processes, Terraform) on one worker, every other suite on the other. Jest's
  // default leaves one core for itself, which ran them one after another.
  maxWorkers: 2,
};
