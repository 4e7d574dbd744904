using System.Text.RegularExpressions;
using Srt.Datasets;
using Srt.Tests.TestDoubles;

namespace Srt.Tests.Datasets;

/// <summary>
/// The TRL configs the export writes, checked key by key against TrlConfigKeys.txt: the fields of TRL's and
/// transformers' config classes as read from TRL 1.10.0.dev0 (commit f2cd577) and transformers 5 (commit 00349ae).
/// </summary>
public sealed partial class TrlConfigExportTests
{
    private static readonly Dictionary<string, HashSet<string>> KnownKeys = ReadKnownKeys();

    [Fact]
    public void ExportStageOneForTrl_EightGpus_WritesPaperSettingsWithKeysTrlHas()
    {
        using var folder = new TemporaryRunFolder();
        WriteExample(folder);

        TrlExport export = RunDirectoryExport.ExportStageOneForTrl(folder.Path, folder.File("trl1"), new TrlExportOptions { ModelNameOrPath = "allenai/tulu-2-7b" });
        var yaml = File.ReadAllText(export.ConfigPath);
        Dictionary<string, string> keys = TopLevel(yaml);

        Assert.Equal(1, export.Count);
        Assert.Equal("trl sft --config sft.yaml --accelerate_config accelerate.yaml", export.Command);
        Assert.Empty(UnknownKeys(yaml, "SFTConfig"));
        Assert.Equal("\"allenai/tulu-2-7b\"", keys["model_name_or_path"]);
        Assert.Equal("5", keys["num_train_epochs"]);
        Assert.Equal("1.0e-05", keys["learning_rate"]);
        Assert.Equal("cosine", keys["lr_scheduler_type"]);
        Assert.Equal("0.1", keys["warmup_steps"]);
        Assert.Equal("8192", keys["max_length"]);
        Assert.Equal("true", keys["completion_only_loss"]);
        Assert.Equal("true", keys["bf16"]);
        Assert.Equal("true", keys["gradient_checkpointing"]);
        Assert.Equal("false", keys["use_peft"]);

        // Global batch 32 = 1 per GPU × 4 accumulation steps × 8 GPUs.
        Assert.Equal("1", keys["per_device_train_batch_size"]);
        Assert.Equal("4", keys["gradient_accumulation_steps"]);
        Assert.Contains("  - path: json", yaml, StringComparison.Ordinal);
        Assert.Contains("    data_files: \"train.jsonl\"", yaml, StringComparison.Ordinal);
        Assert.Single(TrlDatasetReader.ReadSft(export.DatasetPath));

        Dictionary<string, string> accelerate = TopLevel(File.ReadAllText(export.AccelerateConfigPath));
        Assert.Equal("MULTI_GPU", accelerate["distributed_type"]);
        Assert.Equal("8", accelerate["num_processes"]);
        Assert.Empty(UnknownAccelerateKeys(File.ReadAllText(export.AccelerateConfigPath)));
    }

    [Fact]
    public void ExportStageOneForTrl_OneGpu_AccumulatesThirtyTwoSteps()
    {
        using var folder = new TemporaryRunFolder();
        WriteExample(folder);

        TrlExport export = RunDirectoryExport.ExportStageOneForTrl(
            folder.Path, folder.File("trl1"), new TrlExportOptions { ModelNameOrPath = "m", Profile = AccelerateProfile.SingleGpu, GpuCount = 1 });

        Assert.Equal("32", TopLevel(File.ReadAllText(export.ConfigPath))["gradient_accumulation_steps"]);
        Dictionary<string, string> accelerate = TopLevel(File.ReadAllText(export.AccelerateConfigPath));
        Assert.Equal("\"NO\"", accelerate["distributed_type"]);
        Assert.Equal("1", accelerate["num_processes"]);
    }

    [Fact]
    public void ExportStageTwoForTrl_Zero3_WritesDpoSettingsWithKeysTrlHas()
    {
        using var folder = new TemporaryRunFolder();
        using (var store = new JsonlStore<PairRecord>(folder.File("stage2", "pairs.jsonl")))
        {
            store.Append(new PairRecord("s1", null, "Say hi.", "Hello there!", "hi", 4, 7));
        }

        TrlExport export = RunDirectoryExport.ExportStageTwoForTrl(
            folder.Path, folder.File("trl2"), new TrlExportOptions { ModelNameOrPath = "../trl1/output", Profile = AccelerateProfile.DeepSpeedZero3, PerDeviceBatchSize = 2 });
        var yaml = File.ReadAllText(export.ConfigPath);
        Dictionary<string, string> keys = TopLevel(yaml);

        Assert.Equal("trl dpo --config dpo.yaml --accelerate_config accelerate.yaml", export.Command);
        Assert.Empty(UnknownKeys(yaml, "DPOConfig"));
        Assert.Equal("0.01", keys["beta"]);
        Assert.Equal("5.0e-07", keys["learning_rate"]);
        Assert.Equal("1", keys["num_train_epochs"]);
        Assert.Equal("2", keys["gradient_accumulation_steps"]);
        Assert.Equal("\"../trl1/output\"", keys["model_name_or_path"]);
        Assert.Single(TrlDatasetReader.ReadPreferences(export.DatasetPath));

        string accelerateYaml = File.ReadAllText(export.AccelerateConfigPath);
        Assert.Equal("DEEPSPEED", TopLevel(accelerateYaml)["distributed_type"]);
        Assert.Contains("  zero_stage: 3", accelerateYaml, StringComparison.Ordinal);
        Assert.Contains("  zero3_save_16bit_model: true", accelerateYaml, StringComparison.Ordinal);
        Assert.Empty(UnknownAccelerateKeys(accelerateYaml));
    }

    [Fact]
    public void UnknownKeys_KeysTrlRenamedOrDeprecated_AreReported()
    {
        // The check itself must catch what TRL does not accept: SFTConfig's old max_seq_length, a DPO-only key in an
        // SFT config, and transformers 5's deprecated warmup_ratio.
        string yaml = "model_name_or_path: m\nmax_seq_length: 8192\nbeta: 0.1\nwarmup_ratio: 0.1\ndatasets:\n  - path: json\n    data_file: x\n";

        Assert.Equal(["max_seq_length", "beta", "warmup_ratio", "datasets[].data_file"], UnknownKeys(yaml, "SFTConfig"));
    }

    [Fact]
    public void ExportStageOneForTrl_BatchNotDivisible_ThrowsNamingSetting()
    {
        using var folder = new TemporaryRunFolder();
        WriteExample(folder);

        var error = Assert.Throws<ArgumentException>(() => RunDirectoryExport.ExportStageOneForTrl(
            folder.Path, folder.File("trl1"), new TrlExportOptions { ModelNameOrPath = "m", GpuCount = 3 }));

        Assert.Equal(nameof(TrlExportOptions.GlobalBatchSize), error.ParamName);
        Assert.False(Directory.Exists(folder.File("trl1")));
    }

    [Theory]
    [InlineData(1e-5, "1.0e-05")]
    [InlineData(5e-7, "5.0e-07")]
    [InlineData(2.5e-6, "2.5e-06")]
    [InlineData(0.01, "0.01")]
    [InlineData(5, "5")]
    public void Number_SmallValues_HaveTheDotPyYamlNeedsForAFloat(double value, string expected) =>
        Assert.Equal(expected, TrlConfigFiles.Number(value));

    private static void WriteExample(TemporaryRunFolder folder)
    {
        using var store = new JsonlStore<ExampleRecord>(folder.File("stage1", "examples.jsonl"));
        store.Append(new ExampleRecord("q1", null, "Is 91 prime?", [new SequenceSegment("No: 91 = 7 × 13.")]));
    }

    private static List<string> UnknownKeys(string yaml, string trainerConfig)
    {
        HashSet<string> allowed = [.. KnownKeys["TrainingArguments"], .. KnownKeys["_BaseConfig"], .. KnownKeys[trainerConfig],
            .. KnownKeys["ModelConfig"], .. KnownKeys["ScriptArguments"], .. KnownKeys["DatasetMixtureConfig"]];
        allowed.ExceptWith(KnownKeys["deprecated"]);
        var unknown = TopLevel(yaml).Keys.Where(key => !allowed.Contains(key)).ToList();
        unknown.AddRange(DatasetEntryKeys().Matches(yaml).Select(match => match.Groups[1].Value)
            .Where(key => !KnownKeys["DatasetConfig"].Contains(key)).Select(key => "datasets[]." + key));
        return unknown;
    }

    private static List<string> UnknownAccelerateKeys(string yaml) =>
        AnyKey().Matches(yaml).Select(match => match.Groups[1].Value).Where(key => !KnownKeys["accelerate"].Contains(key)).ToList();

    private static Dictionary<string, string> TopLevel(string yaml) =>
        TopLevelKey().Matches(yaml).ToDictionary(match => match.Groups[1].Value, match => match.Groups[2].Value.Trim());

    private static Dictionary<string, HashSet<string>> ReadKnownKeys()
    {
        var sections = new Dictionary<string, HashSet<string>>(StringComparer.Ordinal);
        HashSet<string>? current = null;
        foreach (string line in File.ReadLines(Path.Combine(AppContext.BaseDirectory, "Datasets", "TrlConfigKeys.txt")))
        {
            if (line.StartsWith('#') || line.Length == 0)
            {
                continue;
            }

            if (line.StartsWith('['))
            {
                current = sections[line.Trim('[', ']')] = new HashSet<string>(StringComparer.Ordinal);
                continue;
            }

            current!.UnionWith(line.Split(' ', StringSplitOptions.RemoveEmptyEntries));
        }

        return sections;
    }

    [GeneratedRegex(@"^([a-z_0-9]+):(.*)$", RegexOptions.Multiline)]
    private static partial Regex TopLevelKey();

    [GeneratedRegex(@"^\s+(?:- )?([a-z_0-9]+):", RegexOptions.Multiline)]
    private static partial Regex DatasetEntryKeys();

    [GeneratedRegex(@"^\s*([a-z_0-9]+):", RegexOptions.Multiline)]
    private static partial Regex AnyKey();
}
