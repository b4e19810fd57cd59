import { defineConfig } from "vitest/config";

// Projects: `unit` is the fast loop (no build needed); `integration` and `e2e` spawn dist/cli.js,
// so their globalSetup refuses a dist/ older than src/ (test/setup/dist-fresh.ts).
const spawnsBuiltCli = ["./test/setup/dist-fresh.ts"];

export default defineConfig({
  test: {
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: "forks",
    // CI also writes a JSON report so .ci/run can print a plain "N passed, N failed" closing line.
    reporters: process.env.CI ? ["default", ["json", { outputFile: ".vitest-results.json" }]] : ["default"],
    projects: [
      { extends: true, test: { name: "unit", include: ["test/unit/**/*.test.ts"] } },
      { extends: true, test: { name: "integration", include: ["test/integration/**/*.test.ts"], globalSetup: spawnsBuiltCli } },
      { extends: true, test: { name: "e2e", include: ["test/e2e/**/*.test.ts"], globalSetup: spawnsBuiltCli } },
    ],
  },
});
