/**
 * Entry point of `npm run bench -- <name>`: runs bench/<name>.ts.
 */
const BENCHMARKS = ['ingest', 'consume'] as const;

const name = process.argv[2];
if (name === undefined || !(BENCHMARKS as readonly string[]).includes(name)) {
  console.error(`Usage: npm run bench -- <${BENCHMARKS.join('|')}>`);
  process.exit(2);
}
await import(`./${name}.ts`);
