/**
 * One error type for everything a user can get wrong (bad data, bad flags,
 * bad model files). Its message is a single line that names the problem and
 * says how to fix it; the CLI prints it and exits with code 2.
 */
export class BpttError extends Error {
  /** What the user can do about it, e.g. "pass --data FILE with at least two distinct characters". */
  readonly hint: string;

  constructor(problem: string, hint: string) {
    super(hint ? `${problem}; ${hint}` : problem);
    this.name = 'BpttError';
    this.hint = hint;
  }
}
