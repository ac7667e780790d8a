import type { Command } from 'commander';

// Placeholder until this command group lands.
export function registerWorkspaceCommands(_program: Command): void {}
