"""Parameter-efficient fine-tuning with the ``peft`` library: LoRA, QLoRA, IA3, prefix,
prompt and p-tuning, for every task, with adapters that save small and merge or switch.

Example:
    >>> from open_interpreter.config import PeftSettings
    >>> from open_interpreter.peft import attach_adapter, count_parameters
    >>> model = attach_adapter(model, PeftSettings(r=16), "token-classification")  # doctest: +SKIP
    >>> print(count_parameters(model))  # doctest: +SKIP
    297,225 of 22,861,833 parameters trainable (1.30%)
"""

from open_interpreter.peft.adapters import (
    PEFT_TASK_TYPES,
    PROMPT_LEARNING,
    ParameterCount,
    adapter_method,
    attach_adapter,
    count_parameters,
    delete_adapter,
    is_peft_model,
    load_adapter,
    merge_adapter,
    peft_config,
    save_adapter,
    use_adapter,
)
from open_interpreter.peft.heads import set_head_labels
from open_interpreter.peft.quantization import check_qlora_available, load_four_bit
from open_interpreter.peft.switching import (
    active_adapter,
    adapter_names,
    switch_adapter,
    with_adapter,
)
from open_interpreter.peft.targets import ATTENTION_PROJECTIONS, default_target_modules

__all__ = [
    "ATTENTION_PROJECTIONS",
    "PEFT_TASK_TYPES",
    "PROMPT_LEARNING",
    "ParameterCount",
    "active_adapter",
    "adapter_method",
    "adapter_names",
    "attach_adapter",
    "check_qlora_available",
    "count_parameters",
    "default_target_modules",
    "delete_adapter",
    "is_peft_model",
    "load_adapter",
    "load_four_bit",
    "merge_adapter",
    "peft_config",
    "save_adapter",
    "set_head_labels",
    "switch_adapter",
    "use_adapter",
    "with_adapter",
]
