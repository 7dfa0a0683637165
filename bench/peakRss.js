// Preload for the memory probe of `npm run bench`: `node -r ./bench/peakRss.js <script>` writes the process's peak
// resident set size (kilobytes, from process.resourceUsage().maxRSS) to the file named by PEAK_RSS_FILE on exit.
'use strict';
const fs = require('node:fs');

process.on('exit', () => {
  if (process.env.PEAK_RSS_FILE) fs.writeFileSync(process.env.PEAK_RSS_FILE, String(process.resourceUsage().maxRSS));
});
