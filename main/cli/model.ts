import type { Command } from 'commander';

// Placeholder until this command group lands.
export function registerModelCommands(_program: Command): void {}
