import type { Command } from 'commander';

// Placeholder until this command group lands.
export function registerServeCommand(_program: Command): void {}
