namespace Srt;

/// <summary>
/// Policy generation through an offline engine: the stage-1 sampling and stage-2 self-refinement requests are written
/// as an OpenAI-batch file (one line per item: <c>custom_id</c> = item id, <c>POST /v1/chat/completions</c>, body), the
/// engine answers them (<c>vllm run-batch -i requests.jsonl -o results.jsonl --model …</c>), and its output is read
/// back into the run directory. The loop then finds every answer stored and runs the stage without a policy call.
/// </summary>
/// <remarks>
/// <para>The result is what generating in-process gives: the requests are the ones <see cref="ChatClientPolicyModel"/>
/// would send for the same run (same messages, temperature, top-p, token limit, and seed + index within each batch
/// of <see cref="SelfRefinementOptions.GenerationBatchSize"/>), the answers go to the same files under the same item
/// ids, an unusable answer is recorded as the same failed generation, and the stage's filters run on them as usual.</para>
/// <para>Both calls resume: a request file holds only items with no stored answer (and, with
/// <see cref="SelfRefinementOptions.RetryFailedItems"/> off, not those that failed before), and reading an output
/// file again stores nothing twice. A torn last line (an engine stopped mid-write) is skipped; that item stays
/// missing and goes into the next request file.</para>
/// </remarks>
public static class PolicyBatchFiles
{
    /// <summary>Writes the stage-1 sampling requests of the items that have no stored response.</summary>
    /// <param name="options">The loop's settings: run directory, sampling, seed, batch size, system prompt. Validated.</param>
    /// <param name="items">The stage-1 instructions, as given to <see cref="SelfRefinementLoop.RunStageOneAsync"/>.</param>
    /// <param name="requestFile">The request file to write (replaced when it exists).</param>
    /// <param name="model">The <c>model</c> of each request: the engine's served model name (vLLM: <c>--model</c>, or <c>--served-model-name</c>).</param>
    /// <returns>The counts written and skipped.</returns>
    /// <exception cref="ArgumentException">A setting, an item or <paramref name="model"/> is invalid.</exception>
    /// <exception cref="InvalidOperationException">The run directory holds an item id with a different instruction.</exception>
    public static PolicyBatchRequests WriteStageOneRequests(SelfRefinementOptions options, IEnumerable<InstructionItem> items, string requestFile, string model) =>
        PolicyBatchStage.Open(options, 1).WriteRequests(items, requestFile, model);

    /// <summary>Writes the stage-2 self-refinement requests (for the stage-1-trained model) of the items that have no stored output.</summary>
    /// <param name="options">The loop's settings. Validated.</param>
    /// <param name="items">The stage-2 instructions, as given to <see cref="SelfRefinementLoop.RunStageTwoAsync"/>.</param>
    /// <param name="requestFile">The request file to write (replaced when it exists).</param>
    /// <param name="model">The <c>model</c> of each request: the served name of the stage-1-trained model.</param>
    /// <returns>The counts written and skipped.</returns>
    /// <exception cref="ArgumentException">A setting, an item or <paramref name="model"/> is invalid.</exception>
    /// <exception cref="InvalidOperationException">The run directory holds an item id with a different instruction.</exception>
    public static PolicyBatchRequests WriteStageTwoRequests(SelfRefinementOptions options, IEnumerable<InstructionItem> items, string requestFile, string model) =>
        PolicyBatchStage.Open(options, 2).WriteRequests(items, requestFile, model);

    /// <summary>Reads an engine's batch output and stores each stage-1 response in the run directory.</summary>
    /// <param name="options">The loop's settings. Validated.</param>
    /// <param name="items">The stage-1 instructions the requests were written for.</param>
    /// <param name="outputFile">The engine's output file (<c>vllm run-batch -o</c>).</param>
    /// <returns>What was stored, what failed and how many items still need an answer.</returns>
    /// <exception cref="InvalidDataException">A line is not a batch output line, or names an id that is not an item; the message names file and line.</exception>
    public static PolicyBatchResults ReadStageOneResults(SelfRefinementOptions options, IEnumerable<InstructionItem> items, string outputFile) =>
        PolicyBatchStage.Open(options, 1).ReadResults(items, outputFile);

    /// <summary>Reads an engine's batch output and stores each stage-2 output in the run directory.</summary>
    /// <param name="options">The loop's settings. Validated.</param>
    /// <param name="items">The stage-2 instructions the requests were written for.</param>
    /// <param name="outputFile">The engine's output file (<c>vllm run-batch -o</c>).</param>
    /// <returns>What was stored, what failed and how many items still need an answer.</returns>
    /// <exception cref="InvalidDataException">A line is not a batch output line, or names an id that is not an item; the message names file and line.</exception>
    public static PolicyBatchResults ReadStageTwoResults(SelfRefinementOptions options, IEnumerable<InstructionItem> items, string outputFile) =>
        PolicyBatchStage.Open(options, 2).ReadResults(items, outputFile);
}
