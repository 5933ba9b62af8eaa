// Starts `scorecard lsp` for .scorecard files: diagnostics, hover, definition, completion,
// formatting, and each KPI's latest figure as an inlay hint all come from the language server.
// The status bar says how the last evaluation went (the server's `scorecard/figures`).
const { workspace, window, StatusBarAlignment } = require("vscode");
const { LanguageClient } = require("vscode-languageclient/node");

let client;

/// The server's arguments, from the settings.
function serverArgs(config) {
  const args = ["lsp"];
  if (config.get("figures.enabled") === false) {
    args.push("--no-figures");
  }
  const keep = config.get("figures.keep");
  if (keep) {
    args.push("--keep", keep);
  }
  return args;
}

/// The status bar's text and tooltip for one `scorecard/figures` notification.
function describe(params) {
  const f = params.figures;
  if (f.kpis.length === 0 && f.problem) {
    return { text: "$(warning) Scorecard: no figures", tooltip: f.problem };
  }
  const tooltip = f.problem ? `${f.how}\n${f.problem}` : f.how;
  const n = f.kpis.length;
  return { text: `$(graph) Scorecard: ${n} KPI${n === 1 ? "" : "s"} in ${f.took_ms} ms`, tooltip };
}

function activate(context) {
  const config = workspace.getConfiguration("scorecard");
  const command = config.get("server.path") || "scorecard";
  const run = { command, args: serverArgs(config) };
  client = new LanguageClient(
    "scorecard",
    "Scorecard",
    { run, debug: run },
    { documentSelector: [{ scheme: "file", language: "scorecard" }] }
  );
  const status = window.createStatusBarItem(StatusBarAlignment.Left);
  if (context && context.subscriptions) {
    context.subscriptions.push(status);
  }
  return client.start().then(() => {
    client.onNotification("scorecard/figures", (params) => {
      const shown = describe(params);
      status.text = shown.text;
      status.tooltip = shown.tooltip;
      status.show();
    });
  });
}

function deactivate() {
  return client ? client.stop() : undefined;
}

module.exports = { activate, deactivate, serverArgs, describe };
