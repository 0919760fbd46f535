import { ALARM_CONCERNS, TROUBLESHOOTING_DOC } from "../../contract/alarms";
import { GUIDES as docs, readProjectFile as read } from "./guides";

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens. */
function slug(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s-]/gu, "")
    .replace(/\s/g, "-");
}
const anchors = new Set(
  [...read(`docs/${TROUBLESHOOTING_DOC}`).matchAll(/^#{1,6} (.+)$/gm)].map((m) => slug(m[1] as string)),
);

describe("the alarms' troubleshooting links", () => {
  it.each(Object.entries(ALARM_CONCERNS))("%s links a section that exists", (_, concern) => {
    expect(anchors).toContain(concern.anchor);
  });

  it("lists every alarm in the guide's table, linked to its section", () => {
    const table =
      read("docs/operator-guide.md").split("### Alarms and what to do")[1]?.split("\n\n")[1] ?? "";
    for (const concern of Object.values(ALARM_CONCERNS)) {
      expect(table).toMatch(
        new RegExp(`\\| \`(<function>-)?${concern.suffix}\`.*\\(troubleshooting\\.md#${concern.anchor}\\)`),
      );
    }
  });

  it.each(docs)("resolves every link into the troubleshooting page (%s)", (doc) => {
    const links = [...read(doc).matchAll(/troubleshooting\.md#([a-z0-9-]+)/g)].map((m) => m[1]);
    for (const anchor of links) expect(anchors).toContain(anchor);
  });
});
