// Quickstart: Self-Refinement Tuning end to end on a laptop CPU, no download, no API key. A tiny Llama policy is
// pretrained on sums, improved by stage 1 (learning from a rule-based critic's written feedback) and stage 2 (DPO on
// its own self-refinements), and compared on held-out sums with the "refinements only" ablation. Everything lands
// in a resumable run directory: rerun to continue, --fresh to start over.
using Srt.Samples.Quickstart;

return await QuickstartApp.RunAsync(args);
