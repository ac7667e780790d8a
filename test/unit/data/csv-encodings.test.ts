// CSV files as Korean users bring them (#25.3): CP949 / EUC-KR from Korean Excel, UTF-16 LE/BE, UTF-8
// with a BOM, and LF / CRLF / lone-CR line endings. Files are encoded by Debian's iconv (an independent
// encoder), parsed in small chunks so multi-byte characters and CRLFs straddle chunk boundaries.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { chunksOf, parseCsv, parseCsvEncoding, toUtf8, type CsvEncoding, type ParseBatch } from '../../../main/data/import/index.ts';

const run = promisify(execFile);
const bin = join(import.meta.dirname, '..', '..', '..', 'bin', 'saenggak.js');

// 똠 and 똥 are outside KS X 1001 (EUC-KR proper) but in CP949: they check the extended table.
const HEADER = ['문제', '정답', 'note'];
const ROWS = [
  ['사과가 3개 있고 2개를 더 사면 몇 개입니까?', '5', '쉼표, 포함'],
  ['똠방각하의 "별명"은?', '똥강아지', '여러\n줄'],
  ['x² + 1 = 10 일 때 x는?', '3', ''],
];
const ROWS_EUCKR = [ROWS[0], ['방각하의 "별명"은?', '강아지', '여러\n줄'], ROWS[2]];

function csvText(rows: string[][], eol: string): string {
  const field = (s: string) => (/[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);
  return [HEADER, ...rows].map((r) => r.map(field).join(',')).join(eol) + eol;
}

function iconv(text: string, to: string): Buffer {
  return execFileSync('iconv', ['-f', 'UTF-8', '-t', to], { input: Buffer.from(text, 'utf8') });
}

function inChunks(bytes: Buffer, size: number): Buffer[] {
  const out: Buffer[] = [];
  for (let i = 0; i < bytes.length; i += size) out.push(bytes.subarray(i, i + size));
  return out;
}

async function parse(bytes: Buffer, encoding: CsvEncoding = 'auto', chunk = 7) {
  const text = await toUtf8(chunksOf(...inChunks(bytes, chunk)), encoding);
  const rows: Record<string, unknown>[] = [];
  const errors: { line: number; reason: string }[] = [];
  for await (const b of parseCsv(text.chunks, { sourceEncoding: text.encoding }) as AsyncIterable<ParseBatch>) {
    rows.push(...b.rows);
    errors.push(...b.errors);
  }
  return { encoding: text.encoding, rows, errors };
}

const asObjects = (rows: string[][]) => rows.map((r) => Object.fromEntries(HEADER.map((h, i) => [h, r[i]])));

test('auto-detects CP949, EUC-KR, UTF-16 LE (BOM), UTF-16 BE (no BOM) and UTF-8 with BOM, as iconv wrote them', async () => {
  const cases: [string, Buffer, string, string[][]][] = [
    ['CP949', iconv(csvText(ROWS, '\r\n'), 'CP949'), 'cp949', ROWS],
    ['EUC-KR', iconv(csvText(ROWS_EUCKR, '\r\n'), 'EUC-KR'), 'cp949', ROWS_EUCKR],
    ['UTF-16 (BOM, LE)', iconv(csvText(ROWS, '\r\n'), 'UTF-16'), 'utf-16le', ROWS],
    ['UTF-16LE without BOM', iconv(csvText(ROWS, '\n'), 'UTF-16LE'), 'utf-16le', ROWS],
    ['UTF-16BE without BOM', iconv(csvText(ROWS, '\n'), 'UTF-16BE'), 'utf-16be', ROWS],
    ['UTF-8 with BOM', Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(csvText(ROWS, '\n'))]), 'utf-8', ROWS],
  ];
  for (const [name, bytes, encoding, rows] of cases) {
    for (const chunk of [3, 7, 1 << 16]) {
      const got = await parse(bytes, 'auto', chunk);
      assert.equal(got.encoding, encoding, name);
      assert.deepEqual(got.errors, [], name);
      assert.deepEqual(got.rows, asObjects(rows), `${name}, chunks of ${chunk}`);
    }
  }
  // UTF-8 stays UTF-8 even though a CP949 decoder would also accept ASCII.
  assert.equal((await parse(Buffer.from('a,b\n1,2\n'))).encoding, 'utf-8');
});

test('lone CR, LF and CRLF line endings give the same rows (CR inside quotes stays data)', async () => {
  for (const eol of ['\n', '\r\n', '\r']) {
    for (const chunk of [1, 2, 5, 4096]) {
      const got = await parse(Buffer.from(csvText(ROWS, eol)), 'utf-8', chunk);
      assert.deepEqual(got.errors, [], JSON.stringify(eol));
      assert.deepEqual(got.rows, asObjects(ROWS), `${JSON.stringify(eol)} chunks of ${chunk}`);
    }
  }
  // Line numbers count a CRLF once and a lone CR once.
  const bad = await parse(Buffer.from('a,b\r1,2\r\n3\r4,5\r'), 'utf-8', 3);
  assert.deepEqual(bad.errors, [{ line: 3, reason: 'expected 2 fields (as in the header), found 1' }]);
  assert.deepEqual(bad.rows, [{ a: '1', b: '2' }, { a: '4', b: '5' }]);
});

test('a CP949 file forced to UTF-8 is rejected row by row with a hint; bad bytes in CP949 reject that row only', async () => {
  const cp949 = iconv(csvText(ROWS, '\n'), 'CP949');
  // The header row itself is not UTF-8 either; put an ASCII header first so data rows are what fails.
  const bytes = Buffer.concat([Buffer.from('a,b,c\n'), cp949.subarray(cp949.indexOf(0x0a) + 1)]);
  const forced = await parse(bytes, 'utf-8');
  assert.equal(forced.rows.length, 0);
  assert.ok(forced.errors.length >= 3);
  assert.match(forced.errors[0].reason, /invalid UTF-8.*import it with encoding cp949/);
  const broken = Buffer.concat([Buffer.from('a,b\n'), iconv('가,나\n', 'CP949'), Buffer.from([0x41, 0x2c, 0xff, 0xff, 0x0a]), iconv('다,라\n', 'CP949')]);
  const got = await parse(broken, 'cp949', 4);
  assert.deepEqual(got.rows, [{ a: '가', b: '나' }, { a: '다', b: '라' }]);
  assert.deepEqual(got.errors.map((e) => e.line), [3]);
  assert.match(got.errors[0].reason, /not valid cp949/);
  assert.equal(parseCsvEncoding('EUC-KR'), 'cp949');
  assert.equal(parseCsvEncoding('utf-8-sig'), 'utf-8');
  assert.throws(() => parseCsvEncoding('latin1'), /unknown encoding "latin1": use one of auto, utf-8, cp949/);
});

test('CLI: `data import x.csv` reads a CP949 Excel file (auto) and --encoding utf-16le a UTF-16 file', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'csv-enc-'));
  const ws = join(dir, 'ws');
  await run(process.execPath, [bin, 'workspace', 'init', ws]);
  const cp = join(dir, 'excel.csv');
  writeFileSync(cp, iconv(csvText(ROWS, '\r\n'), 'CP949'));
  const a = JSON.parse((await run(process.execPath, [bin, 'data', 'import', cp, '--dataset', 'excel', '--workspace', ws, '--json'])).stdout);
  assert.deepEqual({ imported: a.imported, rejected: a.rejected, encoding: a.encoding }, { imported: 3, rejected: 0, encoding: 'cp949' });
  const u16 = join(dir, 'unicode.csv');
  writeFileSync(u16, iconv(csvText(ROWS, '\r'), 'UTF-16LE'));
  const b = JSON.parse((await run(process.execPath, [bin, 'data', 'import', u16, '--dataset', 'u16', '--workspace', ws, '--encoding', 'utf-16le', '--json'])).stdout);
  assert.deepEqual({ imported: b.imported, rejected: b.rejected, encoding: b.encoding }, { imported: 3, rejected: 0, encoding: 'utf-16le' });
  const bad = await run(process.execPath, [bin, 'data', 'import', u16, '--dataset', 'u', '--workspace', ws, '--encoding', 'latin9']).then(() => null, (e) => e);
  assert.match(bad.stderr, /unknown encoding "latin9"/);
});

test('API: datasets.import carries the encoding to the import job (the UI\'s choice)', async () => {
  const { dispatch } = await import('../../../main/api/router.ts');
  const { handlers } = await import('../../../main/api/handlers/index.ts');
  const { AppSession } = await import('../../../main/api/session.ts');
  const dir = mkdtempSync(join(tmpdir(), 'csv-enc-api-'));
  const session = new AppSession();
  const call = async (method: string, input: unknown) => {
    const r = (await dispatch(method as never, input as never, { transport: 'http', session }, handlers)) as { ok: boolean; value?: any; error?: unknown };
    if (!r.ok) assert.fail(JSON.stringify(r.error));
    return r.value;
  };
  try {
    const ws = join(dir, 'ws');
    await call('workspace.open', { path: ws, create: true });
    // Valid UTF-8 and valid CP949 at once would be ambiguous; this CP949 file is not UTF-8, so "utf-8" rejects.
    const file = join(ws, 'excel.csv');
    writeFileSync(file, iconv(csvText(ROWS, '\r\n'), 'CP949'));
    const started = await call('datasets.import', { dataset: 'excel', source: { kind: 'path', path: file }, encoding: 'cp949' });
    const final = await session.current!.jobs.wait(started.jobId);
    assert.equal(final.status, 'succeeded', final.error);
    assert.deepEqual(final.result, { dataset: 'excel', imported: 3, rejected: 0, errors: [] });
    const forced = await call('datasets.import', { dataset: 'forced', source: { kind: 'path', path: file }, encoding: 'utf-8', onDuplicate: 'import' });
    const failed = await session.current!.jobs.wait(forced.jobId);
    assert.equal(failed.status, 'failed');
    assert.match(String(failed.error), /header row \(line 1\) is not valid UTF-8.*encoding cp949/);
  } finally {
    await session.close();
  }
});
