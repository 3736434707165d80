import { runCli } from '../src/cli.js';

/** Runs the CLI in memory with `stdin` as standard input and `files` as the readable files (for specs). */
export async function captureCli(
  argv: readonly string[],
  stdin = '',
  files: Readonly<Record<string, string>> = {},
): Promise<{ readonly code: number; readonly stdout: string; readonly stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await runCli(argv, {
    stdout: (text) => (stdout += text),
    stderr: (text) => (stderr += text),
    readFile: (path) => {
      const content = files[path];
      return content === undefined ? Promise.reject(new Error(`ENOENT: ${path}`)) : Promise.resolve(content);
    },
    readStdin: () => Promise.resolve(stdin),
  });
  return { code, stdout, stderr };
}
