/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: "node",
  roots: ["<rootDir>/tests"],
  testMatch: ["**/*.test.ts"],
  transform: { "^.+\\.ts$": ["@swc/jest", { jsc: { target: "es2022", parser: { syntax: "typescript" } } }] },
  moduleFileExtensions: ["ts", "js", "json", "cjs"],
  testTimeout: 60000,
  // Temporal's native bridge and the embedded Postgres keep handles; each suite closes its own.
  maxWorkers: 1,
  reporters: ["default", "<rootDir>/tests/helpers/summary-reporter.cjs"],
};
