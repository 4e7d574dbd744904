using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Srt.Datasets;

/// <summary>
/// Writes the YAML files TRL's command line reads: <c>sft.yaml</c> / <c>dpo.yaml</c> (fields of TRL's
/// <c>ScriptArguments</c>, <c>ModelConfig</c>, <c>DatasetMixtureConfig</c> and <c>SFTConfig</c> / <c>DPOConfig</c>,
/// which extend transformers' <c>TrainingArguments</c>) and <c>accelerate.yaml</c>. Keys were checked against TRL
/// 1.10.0.dev0 (commit f2cd577) and transformers 5 (commit 00349ae); the test suite holds that key list.
/// </summary>
internal static class TrlConfigFiles
{
    public const string DatasetFileName = "train.jsonl";
    public const string AccelerateFileName = "accelerate.yaml";

    public static string Command(string trainer, string configFileName) =>
        $"trl {trainer} --config {configFileName} --accelerate_config {AccelerateFileName}";

    /// <summary>Stage 1: full fine-tuning on conversational prompt-completion data, loss on the completion only.</summary>
    public static string StageOne(TrlExportOptions options)
    {
        var yaml = Header("Stage 1 of Self-Refinement Tuning: supervised fine-tuning on instruction -> response -> feedback -> refinement.", Command("sft", "sft.yaml"));
        Common(yaml, options, "output");
        Entry(yaml, "num_train_epochs", options.StageOneEpochs);
        Entry(yaml, "learning_rate", options.StageOneLearningRate);

        // Srt's data is conversational prompt-completion: the instruction is the prompt and is masked; response,
        // feedback and refinement are the completion and all carry loss, as in the paper.
        yaml.AppendLine("completion_only_loss: true");
        return yaml.ToString();
    }

    /// <summary>Stage 2: DPO on the policy's own pairs (chosen = refinement, rejected = response).</summary>
    public static string StageTwo(TrlExportOptions options)
    {
        var yaml = Header("Stage 2 of Self-Refinement Tuning: DPO on the stage-1 model's own pairs (chosen = refinement, rejected = response).", Command("dpo", "dpo.yaml"));
        Common(yaml, options, "output");
        Entry(yaml, "num_train_epochs", options.StageTwoEpochs);
        Entry(yaml, "learning_rate", options.StageTwoLearningRate);
        Entry(yaml, "beta", options.StageTwoBeta);

        // The reference model's log-probabilities are computed once before training (Srt's in-process default
        // too), so no frozen copy of the model sits in GPU memory during training.
        yaml.AppendLine("precompute_ref_log_probs: true");
        return yaml.ToString();
    }

    public static string Accelerate(TrlExportOptions options)
    {
        var yaml = new StringBuilder();
        yaml.AppendLine("# Accelerate launch profile written by Srt: " + options.Profile + ".");
        yaml.AppendLine("compute_environment: LOCAL_MACHINE");
        yaml.AppendLine("debug: false");
        switch (options.Profile)
        {
            case AccelerateProfile.SingleGpu:
                yaml.AppendLine("distributed_type: \"NO\"");
                yaml.AppendLine("gpu_ids: all");
                break;
            case AccelerateProfile.MultiGpu:
                yaml.AppendLine("distributed_type: MULTI_GPU");
                yaml.AppendLine("gpu_ids: all");
                break;
            case AccelerateProfile.DeepSpeedZero3:
                yaml.AppendLine("distributed_type: DEEPSPEED");
                yaml.AppendLine("deepspeed_config:");
                yaml.AppendLine("  deepspeed_multinode_launcher: standard");
                yaml.AppendLine("  offload_optimizer_device: none");
                yaml.AppendLine("  offload_param_device: none");
                yaml.AppendLine("  zero3_init_flag: true");

                // Gathers the sharded weights into one 16-bit model at save time, so the output loads anywhere.
                yaml.AppendLine("  zero3_save_16bit_model: true");
                yaml.AppendLine("  zero_stage: 3");
                break;
        }

        yaml.AppendLine("downcast_bf16: 'no'");
        yaml.AppendLine("machine_rank: 0");
        yaml.AppendLine("main_training_function: main");
        yaml.AppendLine("mixed_precision: bf16");
        yaml.AppendLine("num_machines: 1");
        yaml.AppendLine(string.Create(CultureInfo.InvariantCulture, $"num_processes: {options.Processes}"));
        yaml.AppendLine("rdzv_backend: static");
        yaml.AppendLine("same_network: true");
        yaml.AppendLine("use_cpu: false");
        return yaml.ToString();
    }

    /// <summary>Formats a number so PyYAML reads it as a float: YAML 1.1 needs a dot in the mantissa (<c>1.0e-05</c>, not <c>1e-05</c>).</summary>
    internal static string Number(double value)
    {
        string text = value.ToString("R", CultureInfo.InvariantCulture);
        int exponent = text.IndexOf('E', StringComparison.Ordinal);
        if (exponent < 0)
        {
            return text;
        }

        string mantissa = text[..exponent];
        if (!mantissa.Contains('.', StringComparison.Ordinal))
        {
            mantissa += ".0";
        }

        return mantissa + "e" + text[(exponent + 1)..];
    }

    private static StringBuilder Header(string what, string command)
    {
        var yaml = new StringBuilder();
        yaml.AppendLine("# " + what);
        yaml.AppendLine("# Written by Srt for the TRL command line. Run from this folder:");
        yaml.AppendLine("#   " + command);
        return yaml;
    }

    private static void Common(StringBuilder yaml, TrlExportOptions options, string defaultOutput)
    {
        Entry(yaml, "model_name_or_path", options.ModelNameOrPath!);
        Entry(yaml, "dtype", "bfloat16");
        yaml.AppendLine("datasets:");
        yaml.AppendLine("  - path: json");
        yaml.AppendLine("    data_files: " + Quote(DatasetFileName));
        yaml.AppendLine("    split: train");
        Entry(yaml, "output_dir", options.OutputDirectory ?? defaultOutput);
        yaml.AppendLine("use_peft: false");
        Entry(yaml, "per_device_train_batch_size", options.PerDeviceBatchSize);
        Entry(yaml, "gradient_accumulation_steps", options.GradientAccumulationSteps);
        Entry(yaml, "max_length", options.MaxLength);
        yaml.AppendLine("lr_scheduler_type: cosine");

        // transformers 5 reads a warmup_steps below 1 as a share of all steps (warmup_ratio is deprecated there).
        Entry(yaml, "warmup_steps", options.WarmupRatio);
        yaml.AppendLine("bf16: true");
        yaml.AppendLine("gradient_checkpointing: true");
        yaml.AppendLine("logging_steps: 10");
        yaml.AppendLine("save_strategy: epoch");
        yaml.AppendLine("save_total_limit: 1");
        Entry(yaml, "seed", options.Seed);
        yaml.AppendLine("report_to: none");
    }

    private static void Entry(StringBuilder yaml, string key, string value) => yaml.Append(key).Append(": ").AppendLine(Quote(value));

    private static void Entry(StringBuilder yaml, string key, int value) =>
        yaml.Append(key).Append(": ").AppendLine(value.ToString(CultureInfo.InvariantCulture));

    private static void Entry(StringBuilder yaml, string key, double value) => yaml.Append(key).Append(": ").AppendLine(Number(value));

    /// <summary>A YAML double-quoted scalar; its escapes are JSON's, so a JSON string literal is one.</summary>
    private static string Quote(string value) => "\"" + JsonEncodedText.Encode(value).ToString() + "\"";
}
