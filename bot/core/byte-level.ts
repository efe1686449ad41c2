/**
 * GPT-2's byte-to-character table: how byte-level BPE vocabularies (GPT-2's, SmolLM2's, the tiny model's) spell bytes.
 * Printable bytes stand for themselves, the rest move above U+00FF. The tokenizer trainer spells merges with it; the
 * constrained decoder reads tokens back to bytes with it.
 */
export const BYTE_CHARS: readonly string[] = (() => {
  const printable = (b: number) => (b >= 0x21 && b <= 0x7e) || (b >= 0xa1 && b <= 0xac) || (b >= 0xae && b <= 0xff);
  let next = 256;
  return Array.from({ length: 256 }, (_, b) => String.fromCharCode(printable(b) ? b : next++));
})();
