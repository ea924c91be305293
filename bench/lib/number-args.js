'use strict';
/**
 * The command line of the small native benches (srtp, twcc, tcp): numeric
 * `--name value` options over defaults, `--help` prints the usage, anything
 * else is a usage error (exit 2).
 */
function parseNumberArgs(argv, defaults, { name, usage }) {
  const opts = { ...defaults };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--help' || a === '-h') {
      console.log(usage);
      process.exit(0);
    }
    const key = a.replace(/^--/, '');
    if (!(key in opts) || i + 1 >= argv.length) {
      console.error(`${name} bench: unknown or incomplete option ${a}`);
      process.exit(2);
    }
    opts[key] = Number(argv[++i]);
  }
  return opts;
}

module.exports = { parseNumberArgs };
