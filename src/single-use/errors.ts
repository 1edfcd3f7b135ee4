/** Why a single-use token was refused: 401 when it can't be trusted, 410 when it was already used. */
export class SingleUseError extends Error {
  constructor(
    readonly status: 401 | 410,
    message: string,
  ) {
    super(message);
    this.name = "SingleUseError";
  }
}
