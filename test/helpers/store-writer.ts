/**
 * Child process of the crash test: opens the store in argv[2] and captures sample exchanges
 * numbered from argv[3] on, `argv[4]` at a time, forever. Each line on stdout, `<id> <n>`, is
 * printed as soon as that capture has resolved: an acknowledged record.
 * Usage: node --import tsx test/helpers/store-writer.ts <dir> <first n> <parallel> [chunk size]
 */
import { openStore } from '../../bot/store/lowdb-store';
import { sampleExchange } from './store-fixtures';

const [dir, first, parallel, chunkSize] = process.argv.slice(2);
const store = await openStore({ dir, salt: 'crash-test-salt', chunkSize: chunkSize ? Number(chunkSize) : undefined });
process.stdout.write('ready\n');

let next = Number(first);
async function captureForever(): Promise<never> {
  for (;;) {
    const n = next;
    next += 1;
    const exchange = await store.capture(sampleExchange(n));
    process.stdout.write(`${exchange.id} ${n}\n`);
  }
}
await Promise.all(Array.from({ length: Number(parallel) }, captureForever));
