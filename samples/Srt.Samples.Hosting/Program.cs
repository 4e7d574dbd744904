// A Generic Host app that runs Self-Refinement Tuning as a hosted service: Srt registered with AddSrt, options bound
// from appsettings.json ("Srt" section), logs through ILogger. Ctrl+C stops it cleanly (finished work stays in the run
// directory); starting it again resumes. The policy and trainer are one TorchSharp model (a tiny random one unless
// Srt:Model:Path names a model folder); the critic is an OpenAI-compatible model when configured, else a rule-based
// stand-in. See README.md.
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Srt.Samples.Hosting;

using IHost host = HostingApp.CreateBuilder(args).Build();
RunExitCode exitCode = host.Services.GetRequiredService<RunExitCode>();
await host.RunAsync();
return exitCode.Value;
