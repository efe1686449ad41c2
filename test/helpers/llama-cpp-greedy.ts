/**
 * llama.cpp (node-llama-cpp's prebuilt binary) reads a GGUF file and continues a prompt greedily; run as a script by
 * test/integration/gguf.test.ts, in a process of its own so the native library stays out of Jest's module registry.
 *   tsx test/helpers/llama-cpp-greedy.ts <file.gguf> <prompt token ids as JSON> <tokens>
 * prints one JSON line: { tokens, architecture, chatTemplate }.
 */
import { getLlama, LlamaLogLevel } from 'node-llama-cpp';

const [file, prompt, count] = process.argv.slice(2);
const llama = await getLlama({ gpu: false, build: 'never', logLevel: LlamaLogLevel.error });
const model = await llama.loadModel({ modelPath: file });
const context = await model.createContext({ contextSize: 512 });
const tokens: number[] = [];
for await (const token of context.getSequence().evaluate(JSON.parse(prompt) as never, { temperature: 0 })) {
  tokens.push(token);
  if (tokens.length >= Number(count) || model.isEogToken(token)) break;
}
const metadata = model.fileInfo.metadata as {
  general: { architecture: string };
  tokenizer?: { chat_template?: string };
};
process.stdout.write(
  `${JSON.stringify({ tokens, architecture: metadata.general.architecture, chatTemplate: metadata.tokenizer?.chat_template ?? null })}\n`,
);
await context.dispose();
await model.dispose();
await llama.dispose();
