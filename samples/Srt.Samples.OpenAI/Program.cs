// Runs Self-Refinement Tuning on a Hugging Face model folder with an OpenAI (or OpenAI-compatible) critic and judge:
// evaluation of the base model, stage 1, evaluation, stage 2, evaluation, then a comparison table. Resumable: rerun the
// same command and it continues from the run directory without paying twice. See README.md.
using Srt.Samples.OpenAI;

using var cancellation = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    // The first Ctrl+C stops cleanly (finished work stays in the run directory); a second one kills.
    e.Cancel = !cancellation.IsCancellationRequested;
    cancellation.Cancel();
};

return await SampleApp.RunAsync(args, Environment.GetEnvironmentVariable, Console.Out, cancellation.Token);
