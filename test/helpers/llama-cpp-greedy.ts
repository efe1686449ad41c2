/**
 * llama.cpp (node-llama-cpp's prebuilt binary) reads a GGUF file and continues prompts greedily, one after another;
 * run in a process of its own so the native library stays out of Jest's module registry (test/integration/gguf.test.ts)
 * and out of the bot's process (`bench -- reply`, its peer).
 *   tsx test/helpers/llama-cpp-greedy.ts <file.gguf> <prompts: token id arrays as JSON> <tokens> [threads]
 * prints one JSON line: { architecture, chatTemplate, runs: [{ tokens, ms, reusedTokens }] }, `ms` from the prompt to
 * the last token. A prompt keeps the KV cache of the beginning it shares with the one before, as the bot's generator
 * does.
 */
import { getLlama, LlamaLogLevel, type Token } from 'node-llama-cpp';

const [file, prompts, count, threads] = process.argv.slice(2);
const llama = await getLlama({ gpu: false, build: 'never', logLevel: LlamaLogLevel.error });
const model = await llama.loadModel({ modelPath: file });
const context = await model.createContext({ contextSize: 1024, ...(threads ? { threads: Number(threads) } : {}) });
const sequence = context.getSequence();
const runs: Array<{ tokens: number[]; ms: number; reusedTokens: number }> = [];
for (const prompt of JSON.parse(prompts) as Token[][]) {
  const started = performance.now();
  const kept = sequence.contextTokens;
  let shared = 0;
  // The prompt's last token is always evaluated: its logits choose the first new token.
  while (shared < Math.min(kept.length, prompt.length - 1) && kept[shared] === prompt[shared]) shared++;
  if (shared > 0) await sequence.eraseContextTokenRanges([{ start: shared, end: sequence.nextTokenIndex }]);
  else await sequence.clearHistory();
  const tokens: number[] = [];
  for await (const token of sequence.evaluate(prompt.slice(shared), { temperature: 0 })) {
    tokens.push(token);
    if (tokens.length >= Number(count) || model.isEogToken(token)) break;
  }
  runs.push({ tokens, ms: performance.now() - started, reusedTokens: shared });
}
const metadata = model.fileInfo.metadata as {
  general: { architecture: string };
  tokenizer?: { chat_template?: string };
};
process.stdout.write(
  `${JSON.stringify({ architecture: metadata.general.architecture, chatTemplate: metadata.tokenizer?.chat_template ?? null, runs })}\n`,
);
await context.dispose();
await model.dispose();
await llama.dispose();
