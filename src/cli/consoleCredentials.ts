import { randomBytes, createHash } from 'node:crypto';
import { Command, UsageError } from './command';
import { parseCommandArgs } from './parse';
import { hashPassword } from '../config/passwordHash';

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) {
    chunks.push(c as Buffer);
    if (chunks.reduce((n, b) => n + b.length, 0) > 4096) break;
  }
  return Buffer.concat(chunks).toString('utf8');
}

export const consoleHashPasswordCommand: Command = {
  words: ['console', 'hash-password'],
  summary: 'make a password hash or a bearer token for the web console (http.auth)',
  help: `Usage: cd8-node console hash-password < password-file
       cd8-node console hash-password --token

Reads a password (the first line of standard input) and prints its scrypt hash
for http.auth.viewer.passwordHash or http.auth.admin.passwordHash. With --token,
makes a random bearer token instead and prints it with the SHA-256 to put in
http.auth.<role>.tokenSha256, or to list in http.auth.sender.tokenSha256 for a
system that stores images by STOW-RS (the configuration never holds the token itself).

Example:
  printf '%s\\n' 'a long passphrase' | cd8-node console hash-password`,
  async run(args, io) {
    const { values } = parseCommandArgs(args, { token: { type: 'boolean' } }, { min: 0, max: 0 });
    if (values.help) {
      io.out(consoleHashPasswordCommand.help);
      return 0;
    }
    if (values.token) {
      const token = randomBytes(32).toString('base64url');
      io.out(`token:       ${token}\ntokenSha256: ${createHash('sha256').update(token).digest('hex')}`);
      return 0;
    }
    const password = (await readStdin()).split(/\r?\n/)[0];
    if (password.length < 12) throw new UsageError('give a password of at least 12 characters on standard input.');
    io.out(hashPassword(password));
    return 0;
  },
};
