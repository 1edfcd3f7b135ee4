import { connect } from "node:net";
import type { DutConfig } from "../config.js";

/** A board's console as a byte stream; `close` ends it. */
export type Console = { onData(listener: (chunk: Buffer) => void): void; onEnd(listener: (why: string) => void): void; close(): Promise<void> };

/** Opens a serial device at its baud (npm `serialport`) or a TCP console (ser2net and the like). */
export async function openConsole(config: DutConfig["console"]): Promise<Console> {
  if ("serial" in config) {
    // Loaded only here: its native binding has no business in `petrel serve` or `petrel pdu`.
    const { SerialPort } = await import("serialport");
    const port = new SerialPort({ path: config.serial, baudRate: config.baud, autoOpen: false });
    await new Promise<void>((resolve, reject) => port.open((error) => (error ? reject(new Error(`cannot open ${config.serial}: ${error.message}`)) : resolve())));
    return {
      onData: (listener) => port.on("data", listener),
      onEnd: (listener) => {
        port.on("close", () => listener(`${config.serial} closed`));
        port.on("error", (error: Error) => listener(`${config.serial}: ${error.message}`));
      },
      close: () => new Promise((resolve) => (port.isOpen ? port.close(() => resolve()) : resolve())),
    };
  }
  const { host, port } = config.tcp;
  const socket = connect({ host, port });
  await new Promise<void>((resolve, reject) => {
    socket.once("connect", resolve);
    socket.once("error", (error) => reject(new Error(`cannot reach the console at ${host}:${port}: ${error.message}`)));
  });
  return {
    onData: (listener) => socket.on("data", listener),
    onEnd: (listener) => {
      socket.on("close", () => listener(`the console at ${host}:${port} closed`));
      socket.on("error", (error) => listener(`the console at ${host}:${port}: ${error.message}`));
    },
    close: () => new Promise((resolve) => socket.end(resolve)),
  };
}
