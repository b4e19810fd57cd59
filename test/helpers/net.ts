/**
 * Which address a local server listens on, read from the kernel's socket table: tests of bind
 * defaults need no traffic at all (and must send none beyond loopback).
 */
import { readFileSync } from "node:fs";

/** The IPv4 address a socket LISTENs on at this port (e.g. "127.0.0.1", "0.0.0.0"), if any. */
export function listeningAddress(port: number): string | undefined {
  const lines = readFileSync("/proc/net/tcp", "utf8").trim().split("\n").slice(1);
  for (const line of lines) {
    const [, local, , state] = line.trim().split(/\s+/);
    const [hexIp, hexPort] = local.split(":");
    if (state !== "0A" || parseInt(hexPort, 16) !== port) continue; // 0A = LISTEN
    // The kernel prints the IPv4 address as a little-endian 32-bit hex number.
    return [6, 4, 2, 0].map((i) => parseInt(hexIp.slice(i, i + 2), 16)).join(".");
  }
  return undefined;
}
