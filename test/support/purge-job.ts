/**
 * Has Nomad forget a job now, as its own garbage collection would later:
 * Petrel never purges, so tests and benches that need a job gone do it here.
 */
export async function purgeJob(nomadAddr: string, job: string): Promise<void> {
  const response = await fetch(`${nomadAddr}/v1/job/${encodeURIComponent(job)}?purge=true`, { method: "DELETE" });
  if (!response.ok) throw new Error(`purging ${job} answered ${response.status}: ${await response.text()}`);
  await response.arrayBuffer();
}
