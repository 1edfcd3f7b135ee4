import js from "@eslint/js";
import tseslint from "typescript-eslint";

export default tseslint.config(
  { ignores: ["dist/", "node_modules/"] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: { allowDefaultProject: ["eslint.config.js", "test/cluster/*.mjs"] }, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_" }],
      "@typescript-eslint/consistent-type-imports": "error",
    },
  },
  // Plain scripts that other programs run (snmpd's pass_persist peer): linted, not type-checked.
  { files: ["eslint.config.js", "test/cluster/*.mjs"], ...tseslint.configs.disableTypeChecked },
  { files: ["test/cluster/*.mjs"], languageOptions: { globals: { process: "readonly" } } },
);
