using Srt.Testing;

namespace Srt.Tests.TestDoubles;

/// <summary>A loop wired to the Srt.Testing doubles over a temporary run directory.</summary>
internal sealed class LoopHarness : IDisposable
{
    public LoopHarness()
    {
        Options = new SelfRefinementOptions { RunDirectory = Folder.Path };
    }

    public TemporaryRunFolder Folder { get; } = new();

    public TestPolicyModel Policy { get; } = new();

    public TestCritic Critic { get; } = new();

    public TestTrainer Trainer { get; } = new();

    public RecordingLogger Logger { get; } = new();

    public TestRefiner? Refiner { get; set; }

    public SelfRefinementOptions Options { get; }

    public static IReadOnlyList<InstructionItem> Items(int count, string prefix = "item") =>
        Enumerable.Range(0, count).Select(index => new InstructionItem($"{prefix}-{index:D3}", $"Instruction number {index}")).ToList();

    public SelfRefinementLoop CreateLoop() => new(Policy, Critic, Trainer, Options, Logger.ToFactory(), Refiner);

    public void Dispose() => Folder.Dispose();
}
