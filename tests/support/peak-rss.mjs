// Preloaded into a child process (`node --import ./peak-rss.mjs ...`) to report its peak resident
// set size: at exit, getrusage's maxRSS in kilobytes is written to the file named by PEAK_RSS_FILE.
// Tests use it to show that a command's memory stays bounded, without timing anything.
import { writeFileSync } from 'node:fs';

const report = process.env.PEAK_RSS_FILE;
if (report) process.on('exit', () => writeFileSync(report, String(process.resourceUsage().maxRSS)));
