// Lint APL documents with Amazon's own APL linter, apl-suggester (its
// StaticAplTemplateValidator runs offline). usage: node validate.js FILE...
// Prints one JSON object: file name to the list of findings (errors and warnings).
"use strict";

const fs = require("fs");
const { StaticAplTemplateValidator } = require("apl-suggester");

async function main() {
  const files = process.argv.slice(2);
  if (!files.length) {
    throw new Error("usage: node validate.js FILE...");
  }
  const validator = new StaticAplTemplateValidator();
  const out = {};
  for (const file of files) {
    const template = JSON.parse(fs.readFileSync(file, "utf-8"));
    const results = await validator.validate(template);
    out[file] = results.map((r) => ({ path: r.path, message: r.errorMessage, level: r.level }));
  }
  process.stdout.write(JSON.stringify(out, null, 2) + "\n");
}

main().catch((error) => {
  process.stderr.write(String(error && error.stack ? error.stack : error) + "\n");
  process.exit(1);
});
