#!/usr/bin/env node
// A `solc` command line over solc-js (the official compiler built to WebAssembly).
//
// py-solc-x (and through it ape-solidity) and crytic-compile (Slither) run a native
// `solc` executable. None can be installed here, so this adapter answers the calls those
// tools make, the way the native compiler does:
//
//   solc --version
//   solc --standard-json [--base-path P] [--include-path P]... [--allow-paths A,B]
//   solc --combined-json abi,bin,... [options] [prefix=target ...] file.sol ...
//
// Imports are resolved like the native compiler's file loader: a source unit name is looked
// up under the base path, then under each include path; only files inside the allowed
// directories (base path, include paths, --allow-paths, the directories of the files named
// on the command line) are read. Anything else is refused with solc's own error text.
//
// Traps this avoids: solc-js prints ">>> Cannot retry compilation with SMT ..." on stdout
// (silenced here), and process.exit() right after a large write to a pipe truncates it at
// 64 KiB (so only process.exitCode is set).
import { readFileSync, existsSync, statSync, realpathSync } from "node:fs";
import path from "node:path";
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);
const solc = require("solc");

const USAGE = `Usage: solc --version
       solc --standard-json [--base-path P] [--include-path P]... [--allow-paths A,B] [-]
       solc --combined-json KEYS [options] [prefix=target ...] file.sol ...`;

/** Options that take a value, mapped to their key in the parsed options. */
const VALUE_OPTIONS = {
  "--base-path": "basePath",
  "--include-path": "includePaths",
  "--allow-paths": "allowPaths",
  "--combined-json": "combinedJson",
  "--evm-version": "evmVersion",
  "--optimize-runs": "optimizeRuns",
  "--output-dir": "outputDir",
};
const FLAG_OPTIONS = new Set(["--version", "--standard-json", "--optimize", "--via-ir", "--overwrite", "--help", "--no-color", "-"]);

/** A command-line mistake: one line on stderr, like native solc (py-solc-x parses it), exit 1. */
class UsageError extends Error {
  constructor(message, { showUsage = false } = {}) {
    super(message);
    this.showUsage = showUsage;
  }
}

export function parseArgs(argv) {
  const options = { includePaths: [], allowPaths: [], files: [], remappings: [], flags: new Set() };
  for (let i = 0; i < argv.length; i += 1) {
    let arg = argv[i];
    let inlineValue;
    if (arg.startsWith("--") && arg.includes("=")) {
      [arg, inlineValue] = [arg.slice(0, arg.indexOf("=")), arg.slice(arg.indexOf("=") + 1)];
    }
    if (FLAG_OPTIONS.has(arg) && inlineValue === undefined) {
      options.flags.add(arg);
      continue;
    }
    if (arg in VALUE_OPTIONS) {
      const value = inlineValue ?? argv[(i += 1)];
      if (value === undefined) throw new UsageError(`option '${arg}' needs a value`);
      const key = VALUE_OPTIONS[arg];
      if (key === "includePaths") options.includePaths.push(value);
      else if (key === "allowPaths") options.allowPaths.push(...value.split(",").filter(Boolean));
      else options[key] = value;
      continue;
    }
    if (arg.startsWith("-")) throw new UsageError(`unrecognised option '${arg}'`);
    if (arg.includes("=")) options.remappings.push(arg);
    else options.files.push(arg);
  }
  return options;
}

function canonical(p) {
  const resolved = path.resolve(p);
  return existsSync(resolved) ? realpathSync(resolved) : resolved;
}

function isInside(file, directory) {
  const relative = path.relative(directory, file);
  return relative === "" || (!relative.startsWith("..") && !path.isAbsolute(relative));
}

/** The native compiler's file loader: search base path, then include paths; allowed dirs only. */
export function makeImportResolver({ basePath, includePaths, allowPaths, fileDirectories }) {
  const base = canonical(basePath ?? ".");
  const includes = includePaths.map(canonical);
  const allowed = [base, ...includes, ...allowPaths.map(canonical), ...fileDirectories.map(canonical)];
  return function resolveImport(sourceUnitName) {
    const candidates = path.isAbsolute(sourceUnitName)
      ? [sourceUnitName]
      : [base, ...includes].map((root) => path.join(root, sourceUnitName));
    let outside = false;
    for (const candidate of candidates) {
      if (!existsSync(candidate) || !statSync(candidate).isFile()) continue;
      const real = realpathSync(candidate);
      if (!allowed.some((directory) => isInside(real, directory))) {
        outside = true;
        continue;
      }
      return { contents: readFileSync(real, "utf8") };
    }
    if (outside) return { error: `File outside of allowed directories. The following are allowed: ${allowed.join(", ")}.` };
    return { error: `File not found. Searched the following locations: ${[base, ...includes].map((d) => `"${d}"`).join(", ")}.` };
  };
}

/** Runs solc-js with the SMT retry notice kept off stdout. */
export function compileStandard(input, resolveImport) {
  const log = console.log;
  console.log = (...args) => process.stderr.write(`${args.join(" ")}\n`);
  try {
    return JSON.parse(solc.compile(JSON.stringify(input), { import: resolveImport }));
  } finally {
    console.log = log;
  }
}

/** Inlines `urls` sources (native solc reads them through the same loader). */
function inlineUrlSources(input, resolveImport) {
  const errors = [];
  for (const [name, source] of Object.entries(input.sources ?? {})) {
    if (source.content !== undefined || !Array.isArray(source.urls)) continue;
    const found = source.urls.map(resolveImport).find((result) => result.contents !== undefined);
    if (found) source.content = found.contents;
    else errors.push({ component: "general", severity: "error", type: "IOError", message: `Cannot import url ("${name}"): File not found.`, formattedMessage: `IOError: Cannot import url ("${name}"): File not found.\n` });
    delete source.urls;
  }
  return errors;
}

function standardJson(options, stdin) {
  let input;
  try {
    input = JSON.parse(stdin);
  } catch (error) {
    const message = `Error parsing input JSON: ${error.message}`;
    return { errors: [{ component: "general", severity: "error", type: "JSONError", message, formattedMessage: `JSONError: ${message}\n` }] };
  }
  const resolveImport = makeImportResolver({ ...options, fileDirectories: [] });
  const urlErrors = inlineUrlSources(input, resolveImport);
  if (urlErrors.length > 0) return { errors: urlErrors };
  return compileStandard(input, resolveImport);
}

const COMBINED_KEYS = {
  abi: ["abi"],
  bin: ["evm.bytecode.object"],
  "bin-runtime": ["evm.deployedBytecode.object"],
  srcmap: ["evm.bytecode.sourceMap"],
  "srcmap-runtime": ["evm.deployedBytecode.sourceMap"],
  hashes: ["evm.methodIdentifiers"],
  metadata: ["metadata"],
  userdoc: ["userdoc"],
  devdoc: ["devdoc"],
  "storage-layout": ["storageLayout"],
  opcodes: ["evm.bytecode.opcodes"],
  asm: ["evm.legacyAssembly"],
  "generated-sources": ["evm.bytecode.generatedSources"],
  "generated-sources-runtime": ["evm.deployedBytecode.generatedSources"],
  "function-debug": ["evm.bytecode.functionDebugData"],
  "function-debug-runtime": ["evm.deployedBytecode.functionDebugData"],
  ast: [],
  "compact-format": [],
};

function pick(object, dotted) {
  return dotted.split(".").reduce((value, key) => (value == null ? undefined : value[key]), object);
}

function combinedJson(options, readInput) {
  const keys = options.combinedJson.split(",").filter(Boolean);
  const unknown = keys.filter((key) => !(key in COMBINED_KEYS));
  if (unknown.length > 0) throw new UsageError(`Invalid option to --combined-json: ${unknown[0]}`);
  const fromStdin = options.flags.has("-");
  if (options.files.length === 0 && !fromStdin) {
    throw new UsageError('No input files given. If you wish to use the standard input please specify "-" explicitly.');
  }
  const base = canonical(options.basePath ?? ".");
  const sources = {};
  // `-`: the source comes on stdin, named `<stdin>` as native solc names it (solcx.compile_source).
  if (fromStdin) sources["<stdin>"] = { content: readInput() };
  for (const file of options.files) {
    const real = canonical(file);
    if (!existsSync(real)) throw new UsageError(`"${file}" is not found.`);
    const name = isInside(real, base) ? path.relative(base, real).split(path.sep).join("/") : real;
    sources[name] = { content: readFileSync(real, "utf8") };
  }
  const outputs = [...new Set(keys.flatMap((key) => COMBINED_KEYS[key]))];
  const settings = {
    remappings: options.remappings,
    outputSelection: { "*": { "*": outputs, "": keys.includes("ast") ? ["ast"] : [] } },
  };
  if (options.flags.has("--optimize")) settings.optimizer = { enabled: true, runs: Number(options.optimizeRuns ?? 200) };
  if (options.evmVersion) settings.evmVersion = options.evmVersion;
  if (options.flags.has("--via-ir")) settings.viaIR = true;
  const resolveImport = makeImportResolver({ ...options, fileDirectories: options.files.map((f) => path.dirname(canonical(f))) });
  const output = compileStandard({ language: "Solidity", sources, settings }, resolveImport);
  const diagnostics = (output.errors ?? []).map((error) => error.formattedMessage).join("");
  if ((output.errors ?? []).some((error) => error.severity === "error")) return { diagnostics, failed: true };
  const contracts = {};
  for (const [file, byName] of Object.entries(output.contracts ?? {})) {
    for (const [name, compiled] of Object.entries(byName)) {
      const entry = {};
      for (const key of keys) {
        for (const dotted of COMBINED_KEYS[key]) {
          const value = pick(compiled, dotted);
          if (value === undefined) continue;
          entry[key] = value;
        }
      }
      contracts[`${file}:${name}`] = entry;
    }
  }
  const sourceList = Object.keys(output.sources ?? {}).sort((a, b) => output.sources[a].id - output.sources[b].id);
  const combined = { contracts, sourceList, version: solc.version() };
  if (keys.includes("ast")) {
    combined.sources = Object.fromEntries(sourceList.map((name) => [name, { AST: output.sources[name].ast, id: output.sources[name].id }]));
  }
  return { diagnostics, failed: false, combined };
}

function readStdin() {
  try {
    return readFileSync(0, "utf8");
  } catch {
    return "";
  }
}

export function main(argv) {
  let options;
  try {
    options = parseArgs(argv);
    if (options.flags.has("--help")) {
      // py-solc-x reads the keys it may ask for from the `  --combined-json` line.
      const keys = Object.keys(COMBINED_KEYS).filter((key) => key !== "compact-format");
      process.stdout.write(`${USAGE}\n\nOptions:\n  --combined-json ${keys.join(",")}\n`);
    } else if (options.flags.has("--version")) {
      process.stdout.write(`solc, the solidity compiler commandline interface\nVersion: ${solc.version()}\n`);
    } else if (options.flags.has("--standard-json")) {
      process.stdout.write(`${JSON.stringify(standardJson(options, readStdin()))}\n`);
    } else if (options.combinedJson !== undefined) {
      const { diagnostics, failed, combined } = combinedJson(options, readStdin);
      if (diagnostics) process.stderr.write(diagnostics);
      if (failed) process.exitCode = 1;
      else process.stdout.write(`${JSON.stringify(combined)}\n`);
    } else {
      throw new UsageError("this adapter supports --version, --standard-json and --combined-json only", { showUsage: true });
    }
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    process.stderr.write(`Error: ${error.message}\n${error.showUsage ? `${USAGE}\n` : ""}`);
    process.exitCode = 1;
  }
}

if (process.argv[1] && realpathSync(process.argv[1]) === realpathSync(new URL(import.meta.url).pathname)) {
  main(process.argv.slice(2));
}
