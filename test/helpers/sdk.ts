/**
 * Helpers for driving the local API with the official @unkey/api SDK.
 */
import { UnkeyError } from "@unkey/api/models/errors";

/** The typed SDK error a call rejects with; fails the test when the call resolves. */
export async function failure(p: Promise<unknown>): Promise<UnkeyError> {
  try {
    await p;
  } catch (err) {
    if (err instanceof UnkeyError) return err;
    throw err;
  }
  throw new Error("expected the call to fail");
}
