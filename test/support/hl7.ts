/** HL7 v2 messages parsed back by the real python-hl7 library (only /usr/bin/python3 has it). */
import { join } from 'node:path';
import { run } from './process';

export const SYSTEM_PYTHON = '/usr/bin/python3';

export interface ParsedSegment {
  name: string;
  fields: string[];
  unescaped: string[];
  components: string[][];
}

export async function parseWithPythonHl7(message: string): Promise<ParsedSegment[]> {
  const r = await run(SYSTEM_PYTHON, [join(__dirname, 'hl7_parse.py')], { input: message, timeoutMs: 30000 });
  if (r.code !== 0) throw new Error(`python-hl7 could not parse the message: ${r.stderr}`);
  return (JSON.parse(r.stdout) as { segments: ParsedSegment[] }).segments;
}

export const segmentsNamed = (segments: ParsedSegment[], name: string) => segments.filter((s) => s.name === name);
