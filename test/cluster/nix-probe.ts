import { connect, type Socket } from "node:net";

// The Nix worker protocol: little-endian u64s, strings as a length then bytes padded to 8.
const WORKER_MAGIC_1 = 0x6e697863n;
const WORKER_MAGIC_2 = 0x6478696fn;
// 1.21: old enough for every daemon since Nix 2.0, new enough for those that dropped 1.10.
const CLIENT_VERSION = 0x115n;
const STDERR_NEXT = 0x6f6c6d67n;
const STDERR_ERROR = 0x63787470n;
const STDERR_LAST = 0x616c7473n;
const OP_IS_VALID_PATH = 1n;

/**
 * One real store query through a nix-daemon's socket, from this process: the
 * handshake, then "is this path valid?", which the daemon can only answer from
 * a store it has opened. A daemon that accepts connections but can't serve
 * them (no store, or a store that is its own socket again) fails or times out
 * here, with what it said.
 */
export async function probeNixDaemon(socket: string, timeoutMs = 10_000): Promise<void> {
  const connection = connect(socket);
  const reader = createReader(connection);
  const timer = setTimeout(() => connection.destroy(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
  try {
    await new Promise<void>((resolve, reject) => connection.once("connect", resolve).once("error", reject));
    connection.write(u64s(WORKER_MAGIC_1));
    if ((await reader.u64()) !== WORKER_MAGIC_2) throw new Error("the socket does not speak the Nix worker protocol");
    await reader.u64(); // the daemon's protocol version
    connection.write(u64s(CLIENT_VERSION, 0n /* no CPU affinity */, 0n /* reserveSpace, obsolete */));
    await untilLast(reader);
    connection.write(Buffer.concat([u64s(OP_IS_VALID_PATH), nixString(`/nix/store/${"0".repeat(32)}-petrel-probe`)]));
    await untilLast(reader);
    await reader.u64(); // valid or not: either is an answer from the store
  } finally {
    clearTimeout(timer);
    connection.destroy();
  }
}

/** Skips the daemon's log lines up to the end of its answer's preamble; its error becomes ours. */
async function untilLast(reader: Reader): Promise<void> {
  for (;;) {
    const code = await reader.u64();
    if (code === STDERR_LAST) return;
    if (code === STDERR_NEXT) await reader.string();
    else if (code === STDERR_ERROR) throw new Error(`nix-daemon: ${(await reader.string()).trim()}`);
    else throw new Error(`unexpected message 0x${code.toString(16)} from nix-daemon`);
  }
}

type Reader = { u64(): Promise<bigint>; string(): Promise<string> };

function createReader(connection: Socket): Reader {
  let buffered = Buffer.alloc(0);
  let failure: Error | undefined;
  let wake: (() => void) | undefined;
  connection.on("data", (chunk: Buffer) => {
    buffered = Buffer.concat([buffered, chunk]);
    wake?.();
  });
  const fail = (error: Error) => {
    failure ??= error;
    wake?.();
  };
  connection.on("error", fail);
  connection.on("close", () => fail(new Error("nix-daemon closed the connection")));
  const take = async (length: number): Promise<Buffer> => {
    while (buffered.length < length) {
      if (failure) throw failure;
      await new Promise<void>((resolve) => (wake = resolve));
    }
    const bytes = buffered.subarray(0, length);
    buffered = buffered.subarray(length);
    return bytes;
  };
  const u64 = async () => (await take(8)).readBigUInt64LE();
  return {
    u64,
    async string() {
      const length = Number(await u64());
      const bytes = await take(length + ((8 - (length % 8)) % 8));
      return bytes.subarray(0, length).toString("utf8");
    },
  };
}

function u64s(...values: bigint[]): Buffer {
  const buffer = Buffer.alloc(8 * values.length);
  values.forEach((value, i) => buffer.writeBigUInt64LE(value, 8 * i));
  return buffer;
}

function nixString(text: string): Buffer {
  const bytes = Buffer.from(text, "utf8");
  return Buffer.concat([u64s(BigInt(bytes.length)), bytes, Buffer.alloc((8 - (bytes.length % 8)) % 8)]);
}
