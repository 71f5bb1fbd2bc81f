"""InfluenceGen AI model server: FLUX + LoRA image generation over HTTP."""
