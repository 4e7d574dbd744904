using Microsoft.Extensions.Logging;
using Srt.Testing;
using Srt.TorchSharp.Training;
using static TorchSharp.torch;

namespace Srt.TorchSharp.Tests.Training;

[Collection(TorchSharpCollection.Name)]
public sealed class CpuLowPrecisionSupportTests
{
    private const string Avx2Epyc = "processor\t: 0\nvendor_id\t: AuthenticAMD\nflags\t\t: fpu sse2 avx avx2 fma f16c bmi2\n\nprocessor\t: 1\nflags\t\t: fpu sse2 avx avx2 fma f16c bmi2\n";

    [Theory]
    [InlineData(Avx2Epyc, false)]
    [InlineData("flags\t\t: fpu avx2 avx512f avx512bw avx512_bf16 avx512_vnni\n", true)]
    [InlineData("flags\t\t: fpu avx2 avx512f amx_bf16 amx_tile\n", true)]
    [InlineData("processor\t: 0\nFeatures\t: fp asimd bf16 i8mm sve\n", true)] // Arm
    [InlineData("processor\t: 0\nFeatures\t: fp asimd evtstrm crc32\n", false)]
    [InlineData("flags\t\t: fpu avx2 avx512_bf16x\n", false)] // whole flags only
    [InlineData("processor\t: 0\nmodel name\t: something\n", null)] // no flag line: cannot tell
    public void FromCpuInfo_ReadsTheBf16Flags(string cpuInfo, bool? expected)
    {
        Assert.Equal(expected, CpuLowPrecisionSupport.FromCpuInfo(cpuInfo));
    }

    [Fact]
    public void Detect_NoSuchFile_CannotTell()
    {
        Assert.Null(CpuLowPrecisionSupport.Detect(Path.Combine(Path.GetTempPath(), Guid.NewGuid().ToString("N"), "cpuinfo")));
    }

    [Theory]
    [InlineData(ScalarType.BFloat16, false, 1)]
    [InlineData(ScalarType.BFloat16, true, 0)]
    [InlineData(ScalarType.BFloat16, null, 0)] // cannot tell: no warning
    [InlineData(ScalarType.Float16, true, 1)] // no CPU flag makes float16 matmuls fast
    [InlineData(ScalarType.Float32, false, 0)]
    public async Task Trainer_LowPrecisionModelOnASlowCpu_WarnsOnceAcrossRuns(ScalarType dtype, bool? native, int expectedWarnings)
    {
        using var model = TrainingFixtures.Model(dtype);
        var recording = new RecordingLogger();
        using var factory = recording.ToFactory();
        var options = TrainingFixtures.Options(o => o.Epochs = 1);
        var trainer = new TorchSharpTrainer(model, TrainingFixtures.Tokenizer(), TrainingFixtures.ChatML, options, loggerFactory: factory);
        CpuLowPrecisionSupport.Override = () => native;
        try
        {
            await trainer.TrainSupervisedAsync(new SupervisedTrainingRequest(TrainingFixtures.RepeatExamples(4)) { Name = "first" });
            await trainer.TrainSupervisedAsync(new SupervisedTrainingRequest(TrainingFixtures.RepeatExamples(4)) { Name = "second" });
        }
        finally
        {
            CpuLowPrecisionSupport.Override = null;
        }

        var warnings = recording.At(LogLevel.Warning).Where(m => m.Contains("without native matmuls", StringComparison.Ordinal)).ToList();
        Assert.Equal(expectedWarnings, warnings.Count);
        Assert.All(warnings, m => Assert.Contains(dtype.ToString(), m, StringComparison.Ordinal));
    }
}
