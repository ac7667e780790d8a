// Peak resident set size of this process, in bytes (Linux/macOS report maxRSS in kilobytes).
export function peakRssBytes(): number {
  return process.resourceUsage().maxRSS * 1024;
}
