// How often our math verifier agrees with the expected verdicts of Math-Verify's own test cases
// (huggingface/Math-Verify, tests/*.py: the (gold, pred, expected) rows of its pytest parametrize tables).
// Nothing of theirs is stored here: the rows are read from a local checkout when this runs.
//
//   npx tsx bench/math-verify-agreement.ts <Math-Verify checkout or bare git dir> [--list]
//
// Prints agreement per test group (their "kinds of case") and, with --list, every disagreement.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { verifyMath } from '../main/rewards/math/verify.ts';

const FILES = ['test_all.py', 'test_boxed.py', 'test_numina_cases.py', 'test_open_thoughts.py'];

// Reads the parametrize tables with Python's own parser (the rows are Python literals).
const READER = `
import ast, json, subprocess, sys, os
root = sys.argv[1]
out = []
for name in sys.argv[2:]:
    path = os.path.join(root, "tests", name)
    if os.path.exists(path):
        src = open(path, encoding="utf-8").read()
    else:
        src = subprocess.check_output(["git", "-C", root, "show", "HEAD:tests/" + name]).decode()
    for node in ast.walk(ast.parse(src)):
        if not isinstance(node, ast.FunctionDef):
            continue
        for d in node.decorator_list:
            if not (isinstance(d, ast.Call) and getattr(d.func, "attr", "") == "parametrize"):
                continue
            try:
                names = [n.strip() for n in ast.literal_eval(d.args[0]).split(",")]
                rows = ast.literal_eval(d.args[1])
            except Exception:
                continue
            for r in rows:
                row = dict(zip(names, r))
                if "gold" in row and "pred" in row and "expected" in row:
                    out.append({"group": node.name, "gold": row["gold"], "pred": row["pred"], "expected": bool(row["expected"])})
print(json.dumps(out))
`;

const root = process.argv[2];
if (!root || !existsSync(root)) {
  console.error('usage: npx tsx bench/math-verify-agreement.ts <Math-Verify checkout or bare git dir> [--list]');
  process.exit(2);
}
const rows = JSON.parse(execFileSync('python3', ['-c', READER, root, ...FILES], { encoding: 'utf8', maxBuffer: 64 * 2 ** 20 })) as {
  group: string;
  gold: string;
  pred: string;
  expected: boolean;
}[];
const groups = new Map<string, { agree: number; total: number }>();
const disagreements: string[] = [];
for (const r of rows) {
  const v = verifyMath(r.pred, r.gold);
  const g = groups.get(r.group) ?? { agree: 0, total: 0 };
  g.total++;
  if (v.correct === r.expected) g.agree++;
  else disagreements.push(`${r.group}: expected ${r.expected}, got ${v.reason} (pred ${JSON.stringify(v.pred)}, gold ${JSON.stringify(v.gold)})`);
  groups.set(r.group, g);
}
const agree = [...groups.values()].reduce((s, g) => s + g.agree, 0);
console.log(`${join(root)}: ${agree}/${rows.length} cases agree (${((100 * agree) / rows.length).toFixed(1)}%)`);
console.log(`groups fully in agreement: ${[...groups.values()].filter((g) => g.agree === g.total).length}/${groups.size}`);
for (const [name, g] of groups) console.log(`  ${name.padEnd(40)} ${g.agree}/${g.total}`);
if (process.argv.includes('--list')) for (const d of disagreements) console.log(d.slice(0, 300));
