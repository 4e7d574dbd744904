using System.Reflection;
using Srt.TorchSharp.Modeling;
using Srt.TorchSharp.Training;

namespace Srt.TorchSharp.Tests.Training;

[Collection(TorchSharpCollection.Name)]
public sealed class TrainerOptionsTests
{
    [Fact]
    public void SupervisedTrainerOptions_New_HoldsThePapersStageOneSettings()
    {
        var options = new SupervisedTrainerOptions();

        // Hu et al. 2024, stage 1: full fine-tuning, 5 epochs, peak lr 1e-5, cosine, 10% warm-up, global batch 32, 8,192 tokens.
        Assert.Equal(1e-5, options.LearningRate);
        Assert.Equal(5, options.Epochs);
        Assert.Equal(32, options.GlobalBatchSize);
        Assert.Equal(0.1, options.WarmupRatio);
        Assert.Equal(LearningRateSchedule.Cosine, options.LearningRateSchedule);
        Assert.Equal(8192, options.MaxSequenceLength);
        Assert.Null(options.Lora);
        options.Validate();
    }

    [Fact]
    public void PreferenceTrainerOptions_New_HoldsThePapersStageTwoSettings()
    {
        var options = new PreferenceTrainerOptions();

        // Hu et al. 2024, stage 2: DPO with β 0.01, peak lr 5e-7, 1 epoch; the rest as stage 1; plain DPO (no NLL term).
        Assert.Equal(5e-7, options.LearningRate);
        Assert.Equal(1, options.Epochs);
        Assert.Equal(0.01, options.DpoBeta);
        Assert.Equal(0, options.DpoNllWeight);
        Assert.Equal(DpoReference.Precomputed, options.DpoReference);
        Assert.True(options.DpoScoresEndOfTurn);
        Assert.Equal(32, options.GlobalBatchSize);
        Assert.Equal(0.1, options.WarmupRatio);
        Assert.Equal(LearningRateSchedule.Cosine, options.LearningRateSchedule);
        Assert.Equal(8192, options.MaxSequenceLength);
        Assert.Null(options.Lora);
        options.Validate();
    }

    public static TheoryData<TorchSharpTrainerOptions, string> BadValues => new()
    {
        { new SupervisedTrainerOptions { LearningRate = 0 }, "SupervisedTrainerOptions.LearningRate" },
        { new SupervisedTrainerOptions { MicroBatchSize = 3 }, "SupervisedTrainerOptions.MicroBatchSize" },
        { new PreferenceTrainerOptions { Epochs = 0 }, "PreferenceTrainerOptions.Epochs" },
        { new PreferenceTrainerOptions { DpoBeta = 0 }, "PreferenceTrainerOptions.DpoBeta" },
        { new PreferenceTrainerOptions { DpoBeta = double.PositiveInfinity }, "PreferenceTrainerOptions.DpoBeta" },
    };

    [Theory]
    [MemberData(nameof(BadValues))]
    public void Validate_BadValue_NamesTheTypeAndTheOption(TorchSharpTrainerOptions options, string field)
    {
        var error = Assert.Throws<ArgumentException>(options.Validate);

        Assert.StartsWith(field + " ", error.Message, StringComparison.Ordinal);
        Assert.Equal(field[(field.IndexOf('.', StringComparison.Ordinal) + 1)..], error.ParamName);
    }

    [Fact]
    public void OptionTypes_SupervisedAndPreference_CannotStandInForEachOther()
    {
        // What this proves: neither type converts to the other (no inheritance, no conversion operators), the base
        // cannot be derived from outside the library, and every public way to build a trainer takes each kind in its
        // own parameter type, so a call with the two swapped has no applicable overload and does not compile.
        // KindOf and KindOfReversed below also fail to compile (CS8510) if one type ever derives from the other.
        Type supervised = typeof(SupervisedTrainerOptions), preference = typeof(PreferenceTrainerOptions);
        Assert.False(supervised.IsAssignableFrom(preference));
        Assert.False(preference.IsAssignableFrom(supervised));
        Assert.True(supervised.IsSealed && preference.IsSealed);
        Assert.True(typeof(TorchSharpTrainerOptions).IsAbstract);
        Assert.All(typeof(TorchSharpTrainerOptions).GetConstructors(BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance),
            c => Assert.False(c.IsPublic || c.IsFamily || c.IsFamilyOrAssembly, "a constructor other assemblies could derive through"));
        Assert.DoesNotContain(supervised.GetMethods().Concat(preference.GetMethods()), m => m.Name is "op_Implicit" or "op_Explicit");
        Assert.DoesNotContain(supervised.GetProperties(), p => p.Name.StartsWith("Dpo", StringComparison.Ordinal));

        var factories = typeof(TorchSharpTrainer).GetConstructors().Cast<MethodBase>()
            .Append(typeof(CausalLanguageModelExtensions).GetMethod(nameof(CausalLanguageModelExtensions.CreateTrainer))!)
            .ToList();
        Assert.Equal(3, factories.Count);
        foreach (var factory in factories)
        {
            var parameters = factory.GetParameters();
            Assert.Equal(supervised, parameters.Single(p => p.Name == "supervisedOptions").ParameterType);
            Assert.Equal(preference, parameters.Single(p => p.Name == "preferenceOptions").ParameterType);
            Assert.DoesNotContain(parameters, p => typeof(TorchSharpTrainerOptions).IsAssignableFrom(p.ParameterType)
                && p.ParameterType != supervised && p.ParameterType != preference);
        }
        Assert.Equal(supervised, typeof(TorchSharpTrainer).GetProperty(nameof(TorchSharpTrainer.SupervisedOptions))!.PropertyType);
        Assert.Equal(preference, typeof(TorchSharpTrainer).GetProperty(nameof(TorchSharpTrainer.PreferenceOptions))!.PropertyType);
        Assert.Equal([1, 2], new TorchSharpTrainerOptions[] { new SupervisedTrainerOptions(), new PreferenceTrainerOptions() }.Select(KindOf));
        Assert.Equal([1, 2], new TorchSharpTrainerOptions[] { new SupervisedTrainerOptions(), new PreferenceTrainerOptions() }.Select(KindOfReversed));
    }

    [Fact]
    public void Estimate_SameSharedSettings_PlansTheKindOfTheOptionsType()
    {
        static T Shared<T>(T options)
            where T : TorchSharpTrainerOptions
        {
            options.MicroBatchSize = 2;
            options.GlobalBatchSize = 4;
            options.BatchLayout = BatchLayout.LengthBuckets;
            return options;
        }
        var config = TrainingFixtures.Config();

        var supervised = TrainingMemoryPlan.Estimate(config, Shared(new SupervisedTrainerOptions()), 65);
        var preference = TrainingMemoryPlan.Estimate(config, Shared(new PreferenceTrainerOptions()), 65);

        Assert.Equal(TrainingKind.Supervised, supervised.Kind);
        Assert.Equal(2, supervised.Rows);
        Assert.Equal(TrainingKind.Preference, preference.Kind);
        Assert.Equal(4, preference.Rows); // chosen and rejected rows of each pair
    }

    [Fact]
    public async Task Trainer_EachKindOfRun_UsesTheOptionsOfItsKind()
    {
        using var model = TrainingFixtures.Model();
        var supervised = TrainingFixtures.Options(o =>
        {
            o.LearningRate = 2e-3;
            o.Epochs = 1;
            o.LearningRateSchedule = LearningRateSchedule.ConstantWithWarmup;
        });
        var preference = TrainingFixtures.PreferenceOptions(o =>
        {
            o.LearningRate = 7e-4;
            o.Epochs = 2;
            o.LearningRateSchedule = LearningRateSchedule.ConstantWithWarmup;
        });
        var trainer = TrainingFixtures.Trainer(model, supervised, preference);
        var sft = new List<TrainingProgress>();
        var dpo = new List<TrainingProgress>();

        await trainer.TrainSupervisedAsync(new SupervisedTrainingRequest(TrainingFixtures.RepeatExamples(4)), new SyncProgress(sft.Add));
        await trainer.TrainPreferenceAsync(new PreferenceTrainingRequest(TrainingFixtures.RepeatPairs(4)), new SyncProgress(dpo.Add));

        // 4 examples (pairs) at a global batch of 4: one step per epoch, at the constant rate of the run's own options.
        Assert.Equal([(1, 1, 2e-3)], sft.Select(p => (p.Step, p.TotalSteps, p.LearningRate)));
        Assert.Equal([(1, 2, 7e-4), (2, 2, 7e-4)], dpo.Select(p => (p.Step, p.TotalSteps, p.LearningRate)));
        Assert.True(dpo[0].Metrics.ContainsKey("rewards/margins"));
    }

    // Compile-time guards: if either type derived from the other (or both became one type), the second arm of one of
    // these switches would be subsumed by the first and this file would not compile (error CS8510).
    private static int KindOf(TorchSharpTrainerOptions options) => options switch
    {
        SupervisedTrainerOptions => 1,
        PreferenceTrainerOptions => 2,
        _ => 0,
    };

    private static int KindOfReversed(TorchSharpTrainerOptions options) => options switch
    {
        PreferenceTrainerOptions => 2,
        SupervisedTrainerOptions => 1,
        _ => 0,
    };
}
