/** Placeholder until the registry client lands: says so plainly and fails. */
export async function runInspect(_args: string[], _out: NodeJS.WritableStream, err: NodeJS.WritableStream): Promise<number> {
  err.write('inspect: not implemented yet\n');
  return 2;
}
