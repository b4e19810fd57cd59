/**
 * Unkey's permission query language (pkg/rbac/{lexer,parser}.go), as used by
 * `keys.verifyKey`'s `permissions` field.
 *
 *   expression    → andExpression (OR andExpression)*
 *   andExpression → primary (AND primary)*
 *   primary       → PERMISSION | "(" expression ")"
 *
 * AND binds tighter than OR. `*` is a literal character, never a wildcard: a
 * leaf matches only when the key holds exactly that slug. The error messages
 * and positions (0-based byte offsets) follow Unkey's public messages so a
 * client sees the same text locally as in production.
 */

export type PermissionQuery =
  | { readonly kind: "permission"; readonly slug: string }
  | { readonly kind: "and" | "or"; readonly left: PermissionQuery; readonly right: PermissionQuery };

/** A query that cannot be parsed; the handler turns it into HTTP 400 permissions_query_syntax_error. */
export class PermissionQuerySyntaxError extends Error {
  readonly position: number;
  constructor(message: string, position: number) {
    super(message);
    this.name = "PermissionQuerySyntaxError";
    this.position = position;
  }
}

type TokenType = "permission" | "and" | "or" | "lparen" | "rparen" | "eof";
interface Token {
  type: TokenType;
  value: string;
  pos: number;
}

// Same set as Unkey's isValidPermissionChar: letters, digits and . _ - * : /
function isPermissionChar(ch: string): boolean {
  return /^[\p{L}\p{Nd}._\-*:/]$/u.test(ch);
}

function tokenize(input: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < input.length) {
    const ch = input[i]!;
    if (ch === " " || ch === "\t" || ch === "\n" || ch === "\r") {
      i++;
      continue;
    }
    if (ch === "(" || ch === ")") {
      tokens.push({ type: ch === "(" ? "lparen" : "rparen", value: ch, pos: i });
      i++;
      continue;
    }
    if (!isPermissionChar(ch)) {
      throw new PermissionQuerySyntaxError(
        `Invalid character '${ch}' found in query at position ${i}. Only letters, numbers, dots, underscores, hyphens, slashes, colons, asterisks, and parentheses are allowed.`,
        i,
      );
    }
    const start = i;
    while (i < input.length && isPermissionChar(input[i]!)) i++;
    const word = input.slice(start, i);
    // The identifier is maximal, so AND/OR here are always whole words (ANDROID stays a permission).
    const upper = word.toUpperCase();
    const type: TokenType = upper === "AND" ? "and" : upper === "OR" ? "or" : "permission";
    tokens.push({ type, value: word, pos: start });
  }
  tokens.push({ type: "eof", value: "", pos: input.length });
  return tokens;
}

class Parser {
  private index = 0;
  constructor(private readonly tokens: Token[]) {}

  // A method, not a getter: TypeScript would otherwise keep a narrowed type across index++.
  private current(): Token {
    return this.tokens[this.index]!;
  }

  parse(): PermissionQuery {
    if (this.current().type === "eof") {
      throw new PermissionQuerySyntaxError("Unexpected end of input. Please provide a valid permission query.", 0);
    }
    const expr = this.parseOr();
    if (this.current().type !== "eof") {
      const t = this.current();
      throw new PermissionQuerySyntaxError(
        `Unexpected token '${t.value}' at position ${t.pos}. The query appears to have extra content after a valid expression.`,
        t.pos,
      );
    }
    return expr;
  }

  private parseOr(): PermissionQuery {
    let left = this.parseAnd();
    while (this.current().type === "or") {
      this.index++;
      left = { kind: "or", left, right: this.parseAnd() };
    }
    return left;
  }

  private parseAnd(): PermissionQuery {
    let left = this.parsePrimary();
    while (this.current().type === "and") {
      this.index++;
      left = { kind: "and", left, right: this.parsePrimary() };
    }
    return left;
  }

  private parsePrimary(): PermissionQuery {
    const t = this.current();
    switch (t.type) {
      case "permission":
        this.index++;
        return { kind: "permission", slug: t.value };
      case "lparen": {
        this.index++;
        if (this.current().type === "rparen") {
          throw new PermissionQuerySyntaxError(
            `Empty parentheses found at position ${this.current().pos}. Parentheses must contain at least one permission or expression.`,
            this.current().pos,
          );
        }
        const expr = this.parseOr();
        if (this.current().type !== "rparen") {
          throw new PermissionQuerySyntaxError(
            `Missing closing parenthesis ')' at position ${this.current().pos}. Every opening parenthesis must have a matching closing parenthesis.`,
            this.current().pos,
          );
        }
        this.index++;
        return expr;
      }
      case "eof":
        throw new PermissionQuerySyntaxError("Unexpected end of query. Expected a permission identifier or opening parenthesis.", t.pos);
      default:
        throw new PermissionQuerySyntaxError(
          `Unexpected token '${t.value}' at position ${t.pos}. Expected a permission identifier or opening parenthesis.`,
          t.pos,
        );
    }
  }
}

/** Parses a permission query; throws PermissionQuerySyntaxError on bad syntax. */
export function parsePermissionQuery(input: string): PermissionQuery {
  return new Parser(tokenize(input)).parse();
}

/** True when the held slugs satisfy the query (exact slug equality at every leaf). */
export function evaluatePermissionQuery(query: PermissionQuery, held: ReadonlySet<string>): boolean {
  switch (query.kind) {
    case "permission":
      return held.has(query.slug);
    case "and":
      return evaluatePermissionQuery(query.left, held) && evaluatePermissionQuery(query.right, held);
    case "or":
      return evaluatePermissionQuery(query.left, held) || evaluatePermissionQuery(query.right, held);
  }
}
