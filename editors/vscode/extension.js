// Starts `scorecard lsp` for .scorecard files: diagnostics, hover, definition, completion and
// formatting all come from the language server.
const { workspace } = require("vscode");
const { LanguageClient } = require("vscode-languageclient/node");

let client;

function activate() {
  const command = workspace.getConfiguration("scorecard").get("server.path") || "scorecard";
  const run = { command, args: ["lsp"] };
  client = new LanguageClient(
    "scorecard",
    "Scorecard",
    { run, debug: run },
    { documentSelector: [{ scheme: "file", language: "scorecard" }] }
  );
  return client.start();
}

function deactivate() {
  return client ? client.stop() : undefined;
}

module.exports = { activate, deactivate };
