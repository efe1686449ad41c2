/** A chat platform connection: platform I/O only; everything else is the assistant's. */
export interface Adapter {
  readonly name: string;
  start(): Promise<void>;
  stop(): Promise<void>;
}
