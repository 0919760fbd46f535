import {
  answerForComprehendError,
  MAX_TEXT_BYTES,
  parseClassifyRequest,
  RequestError,
  rankClasses,
  truncateUtf8,
} from "../../../functions/classify/core";

const bytes = (text: string) => Buffer.byteLength(text, "utf8");
/** A string survives a UTF-8 round trip only if it holds no lone surrogate half. */
const isWellFormed = (text: string) => Buffer.from(text, "utf8").toString("utf8") === text;

describe("truncateUtf8", () => {
  it("leaves text within the limit untouched", () => {
    // Prepare
    const text = `${"a".repeat(MAX_TEXT_BYTES - 2)}é`;

    // Act
    const result = truncateUtf8(text);

    // Assess
    expect(result).toEqual({ text, truncated: false });
  });

  it("drops an accented letter whose second byte would cross the limit", () => {
    // Prepare: "é" is 2 bytes and would end at byte 10,001
    const text = `${"a".repeat(MAX_TEXT_BYTES - 1)}é and more`;

    // Act
    const result = truncateUtf8(text);

    // Assess
    expect(result.truncated).toBe(true);
    expect(result.text).toBe("a".repeat(MAX_TEXT_BYTES - 1));
  });

  it("never splits an emoji's surrogate pair", () => {
    // Prepare: the 4-byte emoji starts 2 bytes before the limit
    const text = `${"a".repeat(MAX_TEXT_BYTES - 2)}🔥🔥`;

    // Act
    const result = truncateUtf8(text);

    // Assess
    expect(result.text).toBe("a".repeat(MAX_TEXT_BYTES - 2));
    expect(isWellFormed(result.text)).toBe(true);
  });

  it("keeps whole emoji that fit exactly and cuts only after them", () => {
    // Prepare: 2,500 four-byte emoji are exactly 10,000 bytes
    const text = "😀".repeat(MAX_TEXT_BYTES / 4 + 3);

    // Act
    const result = truncateUtf8(text);

    // Assess
    expect(bytes(result.text)).toBe(MAX_TEXT_BYTES);
    expect(result.text).toBe("😀".repeat(MAX_TEXT_BYTES / 4));
  });

  it("keeps a letter together with its combining accent", () => {
    // Prepare: decomposed "é" = "e" (1 byte) + U+0301 (2 bytes); "e" alone would still fit
    const text = `${"a".repeat(MAX_TEXT_BYTES - 1)}e\u0301`;

    // Act
    const result = truncateUtf8(text);

    // Assess
    expect(result.text).toBe("a".repeat(MAX_TEXT_BYTES - 1));
  });

  it("keeps an emoji sequence joined with ZWJ together", () => {
    // Prepare: the family emoji is one grapheme of 18 bytes
    const family = "👩‍👩‍👧";
    const text = `${"a".repeat(MAX_TEXT_BYTES - 10)}${family}`;

    // Act
    const result = truncateUtf8(text);

    // Assess
    expect(result.text).toBe("a".repeat(MAX_TEXT_BYTES - 10));
  });

  it("cuts mixed multi-byte text to the largest well-formed prefix within the limit", () => {
    // Prepare: 3-byte CJK, 2-byte accented and 4-byte emoji characters
    const text = "Impresora 打印机 café 🖨️ ".repeat(800);

    // Act
    const result = truncateUtf8(text);

    // Assess
    expect(result.truncated).toBe(true);
    expect(bytes(result.text)).toBeLessThanOrEqual(MAX_TEXT_BYTES);
    expect(bytes(result.text)).toBeGreaterThan(MAX_TEXT_BYTES - 20);
    expect(isWellFormed(result.text)).toBe(true);
    expect(text.startsWith(result.text)).toBe(true);
  });

  it("falls back to code points for a single cluster larger than the limit", () => {
    // Prepare: one letter carrying 6,000 combining marks (12,001 bytes, one grapheme)
    const text = `a${"\u0301".repeat(6000)}`;

    // Act
    const result = truncateUtf8(text);

    // Assess
    expect(bytes(result.text)).toBe(MAX_TEXT_BYTES - 1);
    expect(isWellFormed(result.text)).toBe(true);
  });
});

describe("parseClassifyRequest", () => {
  it("returns the Text of a JSON body", () => {
    expect(parseClassifyRequest('{"Text": "VPN drops every hour"}')).toBe("VPN drops every hour");
  });

  it("decodes a base64-encoded body", () => {
    // Prepare
    const body = Buffer.from(JSON.stringify({ Text: "Imprimante hors ligne à l'étage 3" })).toString(
      "base64",
    );

    // Act
    const text = parseClassifyRequest(body, true);

    // Assess
    expect(text).toBe("Imprimante hors ligne à l'étage 3");
  });

  it.each([
    ["an absent body", null, "Request body is empty"],
    ["malformed JSON", '{"Text": ', "Request body is not valid JSON"],
    ["a JSON array", '["hello"]', "Request body must be a JSON object"],
    ["a missing Text", '{"text": "lower-case key"}', 'Request body has no "Text" field'],
    ["a numeric Text", '{"Text": 42}', '"Text" must be a string, got a number'],
    ["a null Text", '{"Text": null}', '"Text" must be a string, got null'],
    ["an empty Text", '{"Text": ""}', '"Text" is empty'],
    ["a blank Text", '{"Text": " \\n\\t "}', '"Text" is empty'],
  ])("rejects %s as a 400 request error", (_case, body, message) => {
    // Act
    const parse = () => parseClassifyRequest(body);

    // Assess
    expect(parse).toThrow(RequestError);
    expect(parse).toThrow(message);
  });
});

describe("rankClasses", () => {
  it("orders classes from the highest score to the lowest and keeps only Name and Score", () => {
    // Prepare
    const classes = [
      { Name: "HADOOP", Score: 0.1 },
      { Name: "SPARK", Score: 0.8, Page: 1 },
      { Name: "DATABASE", Score: 0.1 },
    ];

    // Act
    const ranked = rankClasses(classes);

    // Assess
    expect(ranked).toEqual([
      { Name: "SPARK", Score: 0.8 },
      { Name: "HADOOP", Score: 0.1 },
      { Name: "DATABASE", Score: 0.1 },
    ]);
  });
});

describe("answerForComprehendError", () => {
  const named = (name: string, extra: Record<string, unknown> = {}) =>
    Object.assign(new Error(`${name} details`), { name }, extra);

  it.each([
    ["ResourceUnavailableException", 503],
    ["TooManyRequestsException", 429],
    ["ThrottlingException", 429],
    ["InternalServerException", 502],
    ["AccessDeniedException", 502],
    ["ResourceNotFoundException", 502],
  ])("answers %s with HTTP %i", (name, status) => {
    expect(answerForComprehendError(named(name), 60).statusCode).toBe(status);
  });

  it("treats a document Comprehend cannot read as the caller's mistake", () => {
    // Act
    const answer = answerForComprehendError(
      named("InvalidRequestException", { Reason: "INVALID_DOCUMENT" }),
      60,
    );

    // Assess
    expect(answer).toMatchObject({ statusCode: 400, serverFault: false });
  });

  it("keeps other invalid requests on the service side", () => {
    expect(answerForComprehendError(named("InvalidRequestException"), 60)).toMatchObject({
      statusCode: 502,
      serverFault: true,
    });
  });
});
