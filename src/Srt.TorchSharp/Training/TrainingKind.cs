namespace Srt.TorchSharp.Training;

/// <summary>The two kinds of training run the trainer performs.</summary>
public enum TrainingKind
{
    /// <summary>Supervised fine-tuning (stage 1): one row per example through the model.</summary>
    Supervised = 0,

    /// <summary>DPO (stage 2): chosen and rejected rows of each pair through the model together, twice the rows.</summary>
    Preference = 1,
}
