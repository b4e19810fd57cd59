// Plain-text tables for the benchmark output (Markdown pipe syntax, so they paste into docs).

/** Formats rows (arrays of cells) under headers; numbers are right-aligned. */
export function formatTable(headers, rows) {
  const cells = [headers, ...rows].map((r) => r.map((c) => (c === undefined || c === null ? "–" : String(c))));
  const widths = headers.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? "").length)));
  const numeric = headers.map(
    (_, i) =>
      rows.length > 0 &&
      rows.every((r) => r[i] === undefined || r[i] === null || typeof r[i] === "number" || /^[-+]?[\d.,]+( ?[%x×a-zA-Z]*)?$/.test(String(r[i]))),
  );
  const line = (r, isHeader) => `| ${r.map((c, i) => (numeric[i] && !isHeader ? c.padStart(widths[i]) : c.padEnd(widths[i]))).join(" | ")} |`;
  const sep = `|${widths.map((w, i) => (numeric[i] ? `${"-".repeat(w + 1)}:` : "-".repeat(w + 2))).join("|")}|`;
  return [line(cells[0], true), sep, ...cells.slice(1).map((r) => line(r, false))].join("\n");
}

/** A titled block: "## title" then the table. */
export function section(title, headers, rows) {
  return `\n## ${title}\n\n${formatTable(headers, rows)}\n`;
}
