import type { Command } from 'commander';

// Placeholder until this command group lands.
export function registerDataCommands(_program: Command): void {}
