namespace Srt.Datasets;

/// <summary>What <see cref="RunDirectoryExport.ExportStageOneForTrl"/> or <see cref="RunDirectoryExport.ExportStageTwoForTrl"/> wrote.</summary>
/// <param name="Folder">The export folder; run <see cref="Command"/> from it (the configs name the dataset relative to it).</param>
/// <param name="DatasetPath">The TRL dataset (JSONL): supervised sequences or preference pairs.</param>
/// <param name="ConfigPath">The TRL CLI config, <c>sft.yaml</c> or <c>dpo.yaml</c>.</param>
/// <param name="AccelerateConfigPath">The Accelerate config of the chosen profile, <c>accelerate.yaml</c>.</param>
/// <param name="Count">The number of examples or pairs in the dataset.</param>
/// <param name="Command">The command that trains, run from <see cref="Folder"/>.</param>
public sealed record TrlExport(string Folder, string DatasetPath, string ConfigPath, string AccelerateConfigPath, int Count, string Command);
