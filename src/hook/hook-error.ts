/** A hook refused for what it is, with the 4xx status and the message the forge shows. */
export class HookError extends Error {
  constructor(
    readonly status: 400 | 401 | 404 | 413 | 415 | 422,
    message: string,
  ) {
    super(message);
    this.name = "HookError";
  }
}
