// `saenggak data import|export|list`: datasets from a terminal. Runs in this process (the CLI is already
// separate from any app); `--json` prints exactly one JSON object on stdout, everything else goes to stderr.
import type { Command } from 'commander';
import { cliAction, withWorkspace } from './workspace.ts';

type ImportOptions = { dataset: string; workspace?: string; json?: boolean; format?: string; encoding?: string; ifDuplicate: string };

function formatBytes(bytes: number): string {
  return bytes >= 2 ** 20 ? `${(bytes / 2 ** 20).toFixed(1)} MiB` : `${(bytes / 1024).toFixed(0)} KiB`;
}

export function registerDataCommands(program: Command): void {
  const data = program.command('data').description('import, export and list datasets');

  data
    .command('import')
    .description('import a JSONL, JSON array, CSV or Parquet file as a dataset (bad lines are reported, good ones kept)')
    .argument('<file>', 'the file to import')
    .requiredOption('--dataset <name>', 'dataset name (letters, digits, "_", "-", ".")')
    .option('--workspace <dir>', 'workspace folder (default: $SAENGGAK_WORKSPACE)')
    .option('--format <format>', 'jsonl | json | csv | parquet (default: from the extension, then the content)')
    .option('--encoding <name>', 'CSV text encoding: auto | utf-8 | cp949 (EUC-KR, Korean Excel) | utf-16le | utf-16be (default auto: BOM, then UTF-8, then CP949)')
    .option('--if-duplicate <action>', 'when the same file was imported before: import | skip | fail', 'import')
    .option('--json', 'print {dataset, imported, rejected, errors:[{line, reason}], encoding?} as one JSON object')
    .action(
      cliAction(async (file: string, options: ImportOptions) => {
        const formats = ['jsonl', 'json', 'csv', 'parquet'];
        if (options.format && !formats.includes(options.format)) {
          throw new Error(`--format must be one of ${formats.join(', ')}, got "${options.format}"`);
        }
        if (!['import', 'skip', 'fail'].includes(options.ifDuplicate)) {
          throw new Error(`--if-duplicate must be import, skip or fail, got "${options.ifDuplicate}"`);
        }
        const { importDataset, parseCsvEncoding } = await import('../data/import/index.ts');
        const { checkDuplicateImport, describeDuplicate } = await import('../data/import/duplicate.ts');
        const encoding = options.encoding !== undefined ? parseCsvEncoding(options.encoding) : undefined;
        await withWorkspace(options.workspace, async (ws) => {
          const { duplicate, action } = await checkDuplicateImport(ws, file, options.ifDuplicate as 'import' | 'skip' | 'fail');
          if (duplicate) {
            const note = describeDuplicate('this file', duplicate);
            if (action === 'refuse') throw new Error(`${note} (--if-duplicate fail)`);
            if (action === 'skip') {
              process.stderr.write(`${note}; skipped\n`);
              const info = await ws.datasets.get(duplicate.dataset);
              const skipped = { dataset: duplicate.dataset, imported: 0, rejected: 0, errors: [], skipped: true, rows: info.rows };
              if (options.json) process.stdout.write(JSON.stringify(skipped) + '\n');
              return;
            }
            process.stderr.write(`note: ${note}; importing again\n`);
          }
          const showProgress = process.stderr.isTTY;
          const result = await importDataset({
            workspace: ws,
            dataset: options.dataset,
            path: file,
            format: options.format as 'jsonl' | undefined,
            encoding,
            onProgress: showProgress
              ? (p) =>
                  process.stderr.write(
                    `\r${formatBytes(p.bytesDone)} / ${formatBytes(p.bytesTotal)}  ${p.rowsImported} rows, ${p.rowsRejected} rejected   `,
                  )
              : undefined,
          });
          if (showProgress) process.stderr.write('\n');
          const summary = { dataset: result.dataset, imported: result.imported, rejected: result.rejected, errors: result.errors, ...(result.encoding ? { encoding: result.encoding } : {}) };
          if (options.json) {
            process.stdout.write(JSON.stringify(summary) + '\n');
          } else {
            process.stdout.write(`Imported ${summary.imported} rows into "${summary.dataset}", rejected ${summary.rejected}${result.encoding && result.encoding !== 'utf-8' ? ` (read as ${result.encoding})` : ''}\n`);
            for (const e of summary.errors.slice(0, 20)) process.stdout.write(`  line ${e.line}: ${e.reason}\n`);
            if (summary.rejected > 20) process.stdout.write(`  … ${summary.rejected - 20} more (use --json for the first 1000)\n`);
          }
        });
      }),
    );

  data
    .command('export')
    .description('export a dataset to JSONL (rows as stored, or --chat) or Parquet (chat format: messages as list<struct<role, content>>); every column is kept unless --columns narrows them')
    .requiredOption('--dataset <name>', 'dataset name')
    .requiredOption('--out <file>', 'the file to write (replaced atomically)')
    .option('--format <format>', 'jsonl | parquet (default: from the --out extension, else jsonl)')
    .option('--chat', 'JSONL in chat format ({"messages": [...]} per row); Parquet always is')
    .option('--prompt-column <name>', 'for rows without "messages": the user turn column (default prompt)')
    .option('--response-column <name>', 'for rows without "messages": the assistant turn column (default response, answer or completion)')
    .option('--system-column <name>', 'for rows without "messages": a system prompt column')
    .option('--columns <names>', 'comma-separated columns to write (default: every column; chat format always writes messages)')
    .option('--workspace <dir>', 'workspace folder (default: $SAENGGAK_WORKSPACE)')
    .option('--json', 'print {dataset, path, rows, format, chat} as one JSON object')
    .action(
      cliAction(
        async (options: { dataset: string; out: string; format?: string; chat?: boolean; promptColumn?: string; responseColumn?: string; systemColumn?: string; columns?: string; workspace?: string; json?: boolean }) => {
            const { exportDataset, EXPORT_FORMATS } = await import('../data/export.ts');
          if (options.format !== undefined && !(EXPORT_FORMATS as readonly string[]).includes(options.format)) {
            throw new Error(`--format must be one of ${EXPORT_FORMATS.join(', ')}, got "${options.format}"`);
          }
          const columns = { prompt: options.promptColumn, response: options.responseColumn, system: options.systemColumn };
          await withWorkspace(options.workspace, async (ws) => {
            const keepColumns = options.columns?.split(',').map((c) => c.trim()).filter(Boolean);
            if (options.columns !== undefined && !keepColumns?.length) throw new Error('--columns needs at least one column name');
            const result = await exportDataset({ workspace: ws, dataset: options.dataset, path: options.out, format: options.format as 'jsonl' | undefined, chat: options.chat, columns, keepColumns });
            if (options.json) process.stdout.write(JSON.stringify({ dataset: options.dataset, ...result }) + '\n');
            else process.stdout.write(`Wrote ${result.rows} rows of "${options.dataset}" to ${result.path} (${result.format}${result.chat ? ', chat format' : ''})\n`);
          });
        },
      ),
    );

  data
    .command('mix')
    .description('mix datasets by ratio into a new dataset (e.g. --source math=0.7 --source chat=0.3)')
    .requiredOption('--source <name=ratio>', 'a source dataset and its weight (repeat the option)', (v: string, prev: string[] = []) => [...prev, v])
    .requiredOption('--out <name>', 'the dataset to write')
    .option('--total <n>', 'rows in the mix (default: as many as the ratios allow without repeating rows)')
    .option('--seed <n>', 'sampling seed', '0')
    .option('--allow-repeat', 'repeat rows of a source too small for its share instead of falling short')
    .option('--workspace <dir>', 'workspace folder (default: $SAENGGAK_WORKSPACE)')
    .option('--json', 'print the mix summary as one JSON object')
    .action(
      cliAction(async (options: { source: string[]; out: string; total?: string; seed: string; allowRepeat?: boolean; workspace?: string; json?: boolean }) => {
        const sources = options.source.map((spec) => {
          const match = /^(.+)=([0-9]*\.?[0-9]+)$/.exec(spec);
          if (!match) throw new Error(`--source must be NAME=RATIO (e.g. math=0.7), got "${spec}"`);
          return { dataset: match[1], ratio: Number(match[2]) };
        });
        const total = options.total === undefined ? undefined : Number(options.total);
        if (total !== undefined && !(Number.isInteger(total) && total >= 0)) throw new Error(`--total must be a non-negative integer, got "${options.total}"`);
        const seed = Number(options.seed);
        if (!Number.isInteger(seed)) throw new Error(`--seed must be an integer, got "${options.seed}"`);
        const { mixDatasets } = await import('../data/mix.ts');
        await withWorkspace(options.workspace, async (ws) => {
          const result = await mixDatasets({ workspace: ws, sources, total, output: options.out, seed, allowRepeat: options.allowRepeat });
          if (options.json) process.stdout.write(JSON.stringify(result) + '\n');
          else {
            process.stdout.write(`Wrote ${result.rows} rows to "${result.dataset}"\n`);
            for (const s of result.perSource) process.stdout.write(`  ${s.dataset}: ${s.taken} of ${s.available} rows (${(s.ratio * 100).toFixed(1)}%)${s.repeated ? `, ${s.repeated} repeated` : ''}\n`);
            if (result.shortfall) process.stdout.write(`  ${result.shortfall} rows short of the requested total (use --allow-repeat to upsample)\n`);
          }
        });
      }),
    );

  data
    .command('list')
    .description("list the workspace's datasets")
    .option('--workspace <dir>', 'workspace folder (default: $SAENGGAK_WORKSPACE)')
    .option('--json', 'print {workspace, datasets:[...]} as one JSON object')
    .action(
      cliAction(async (options: { workspace?: string; json?: boolean }) => {
        await withWorkspace(options.workspace, async (ws) => {
          const datasets = await ws.datasets.list();
          if (options.json) {
            process.stdout.write(JSON.stringify({ workspace: ws.root, datasets }) + '\n');
            return;
          }
          if (!datasets.length) process.stdout.write(`No datasets in ${ws.root} yet (saenggak data import FILE --dataset NAME)\n`);
          for (const d of datasets) {
            process.stdout.write(`${d.name}\t${d.rows} rows\t${d.columns.map((c) => c.name).join(', ')}\n`);
          }
        });
      }),
    );
}
