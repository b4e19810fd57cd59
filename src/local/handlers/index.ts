/**
 * Imports every handler file once, for its registerHandler() side effects. One line per file.
 */
import "./apis.js";
import "./keys.js";
import "./key-rbac.js";
import "./identities.js";
import "./permissions.js";
// Owned by the verify/ratelimit helper:
import "./verify-key.js";
import "./ratelimit.js";
import "./analytics.js";
